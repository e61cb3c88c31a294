"""lishui marketplace: import providers and showcase products from Excel/CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from lishui.core.console import console_error, load, operator_actor
from lishui.core.errors import DomainError
from lishui.marketplace import imports

app = typer.Typer(help="Online public service platform: providers and showcase products.", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help=".xlsx or .csv with the template's columns", exists=True,
                                         dir_okay=False)]


def _run(file: Path, command: str, what: str, run: Callable[..., Any]) -> None:
    _, db = load()
    try:
        with db.unit_of_work() as session:
            report = run(session, operator_actor(command), file.read_bytes(), file.name)
            if not report.ok:
                session.rollback()
                console_error(f"{len(report.errors)} problem(s) in {report.total_rows} rows; nothing imported")
                for e in report.errors:
                    typer.echo(f"  row {e.row}, column {e.field}: {e.message}", err=True)
                raise typer.Exit(1)
            typer.echo(f"imported {report.created} {what} from {file}")
    except DomainError as exc:
        details = "; ".join(f"{f.field}: {f.message}" for f in exc.fields)
        console_error(exc.message + (f" — {details}" if details else ""))
        raise typer.Exit(1) from None
    finally:
        db.dispose()


@app.command("import-providers")
def import_providers(file: FileArg) -> None:
    """Import verified providers and their offerings (one offering a row). All or nothing; errors list row and
    column. The template's columns are listed in the README and on the center's import page."""
    _run(file, "marketplace import-providers", "offerings", imports.import_providers)


@app.command("import-products")
def import_products(file: FileArg) -> None:
    """Import showcase products of registered enterprises. All or nothing; errors list row and column."""
    _run(file, "marketplace import-products", "products", imports.import_products)
