"""lishui orgs: import and export the organisation registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lishui.core.console import import_file, load, operator_actor
from lishui.core.tabular import write_csv, write_xlsx
from lishui.registry import service

app = typer.Typer(help="Organisations: import from and export to Excel/CSV.", no_args_is_help=True)


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(help=".xlsx or .csv with the template's columns", exists=True,
                                                 dir_okay=False)]) -> None:
    """Import organisations. All or nothing: any bad row and nothing is written; errors list row and column."""
    import_file(file, "orgs import", service.import_organisations,
                lambda report: f"imported {report.created} organisations from {file}")


@app.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="Output file: .xlsx or .csv")],
    q: Annotated[str, typer.Option(help="Name or credit code contains")] = "",
    kind: Annotated[str, typer.Option(help="Organisation kind code")] = "",
    division: Annotated[str, typer.Option(help="County/zone code")] = "",
    tag: Annotated[str, typer.Option(help="Type tag code")] = "",
) -> None:
    """Export organisations (bank accounts masked) to Excel or CSV."""
    _, db = load()
    try:
        with db.unit_of_work() as session:
            headers, rows = service.export_rows(session, operator_actor("orgs export"),
                                                service.OrgFilter(q=q, kind=kind, division_code=division, tag=tag))
        data = write_csv(headers, rows) if file.suffix.lower() == ".csv" else write_xlsx(headers, rows, "机构名录")
        file.write_bytes(data)
        typer.echo(f"exported {len(rows)} organisations to {file}")
    finally:
        db.dispose()
