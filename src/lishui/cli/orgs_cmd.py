"""lishui orgs: import and export the organisation registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lishui.core.console import console_error, load, operator_actor
from lishui.core.errors import DomainError
from lishui.core.tabular import write_csv, write_xlsx
from lishui.registry import service

app = typer.Typer(help="Organisations: import from and export to Excel/CSV.", no_args_is_help=True)


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(help=".xlsx or .csv with the template's columns", exists=True,
                                                 dir_okay=False)]) -> None:
    """Import organisations. All or nothing: any bad row and nothing is written; errors list row and column."""
    _, db = load()
    try:
        with db.unit_of_work() as session:
            report = service.import_organisations(session, operator_actor("orgs import"), file.read_bytes(),
                                                  file.name)
            if not report.ok:
                session.rollback()
                console_error(f"{len(report.errors)} problem(s) in {report.total_rows} rows; nothing imported")
                for e in report.errors:
                    typer.echo(f"  row {e.row}, column {e.field}: {e.message}", err=True)
                raise typer.Exit(1)
            typer.echo(f"imported {report.created} organisations from {file}")
    except DomainError as exc:
        details = "; ".join(f"{f.field}: {f.message}" for f in exc.fields)
        console_error(exc.message + (f" — {details}" if details else ""))
        raise typer.Exit(1) from None
    finally:
        db.dispose()


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
