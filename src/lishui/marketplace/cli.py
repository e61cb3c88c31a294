"""lishui marketplace: import providers and showcase products from Excel/CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lishui.core.console import import_file
from lishui.marketplace import imports

app = typer.Typer(help="Online public service platform: providers and showcase products.", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help=".xlsx or .csv with the template's columns", exists=True,
                                         dir_okay=False)]


@app.command("import-providers")
def import_providers(file: FileArg) -> None:
    """Import verified providers and their offerings (one offering a row). All or nothing; errors list row and
    column. The template's columns are listed in the README and on the center's import page."""
    import_file(file, "marketplace import-providers", imports.import_providers,
                lambda report: f"imported {report.created} offerings from {file}")


@app.command("import-products")
def import_products(file: FileArg) -> None:
    """Import showcase products of registered enterprises. All or nothing; errors list row and column."""
    import_file(file, "marketplace import-products", imports.import_products,
                lambda report: f"imported {report.created} products from {file}")
