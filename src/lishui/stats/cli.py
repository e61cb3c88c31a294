"""lishui stats: report-form templates and all-or-nothing imports from the server console."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lishui.core.console import console_error, import_file, load
from lishui.core.errors import DomainError
from lishui.core.tabular import write_csv, write_xlsx
from lishui.stats import imports, service

app = typer.Typer(help="Statistics: report-form templates and imports.", no_args_is_help=True)


@app.command("forms")
def forms() -> None:
    """List the report forms (code, period, who reports, title)."""
    _, db = load()
    try:
        with db.unit_of_work() as session:
            for form in service.list_forms(session, active_only=False):
                state = "" if form.is_active else "  (inactive)"
                typer.echo(f"{form.code:<22} {form.period_type:<8} {form.subject:<17} {form.title}{state}")
    finally:
        db.dispose()


@app.command("template")
def template(form: Annotated[str, typer.Argument(help="Form code, e.g. ENT_MONTHLY_RETAIL")],
             file: Annotated[Path | None, typer.Argument(help="Output .xlsx or .csv (default: <FORM>.xlsx)")] = None,
             ) -> None:
    """Write the upload template of a form."""
    _, db = load()
    try:
        with db.unit_of_work() as session:
            found = service.get_form(session, form)
            headers, rows = imports.template(found)
        out = file or Path(f"{found.code}.xlsx")
        data = write_csv(headers, rows) if out.suffix.lower() == ".csv" else write_xlsx(headers, rows, found.title)
        out.write_bytes(data)
        typer.echo(f"template of {found.code} written to {out}")
    except DomainError as exc:
        console_error(exc.message)
        raise typer.Exit(1) from None
    finally:
        db.dispose()


@app.command("import")
def import_(form: Annotated[str, typer.Argument(help="Form code, e.g. ENT_MONTHLY_RETAIL")],
            file: Annotated[Path, typer.Argument(help=".xlsx or .csv with the template's columns", exists=True,
                                                 dir_okay=False)]) -> None:
    """Import reports of one form. All or nothing: any bad row and nothing is written; errors list row and column.
    Values far from an entity's history are stored and flagged for the officers."""
    import_file(file, "stats import",
                lambda session, actor, content, name: imports.import_file(session, actor, form, content, name),
                lambda report: f"imported {report.created} reports of {report.form} from {file}; "
                               f"{report.flagged} flagged")
