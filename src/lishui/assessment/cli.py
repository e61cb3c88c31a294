"""lishui assessment: generate responsibility tasks, load the public figures, issue a bulletin."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from lishui.core.console import console_error, load, operator_actor
from lishui.core.errors import DomainError

app = typer.Typer(help="Assessment: responsibility tasks, indicators, bulletins.", no_args_is_help=True)
tasks_app = typer.Typer(help="Responsibility tasks (督查).", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")


@tasks_app.command("generate")
def tasks_generate(
    pack: Annotated[str, typer.Option(help="Pack id or id@version")] = "lishui-2015",
    year: Annotated[int, typer.Option(help="Assessment year")] = dt.date.today().year,
    due: Annotated[str, typer.Option(help="Deadline YYYY-MM-DD (default: 31 December of the year)")] = "",
) -> None:
    """Generate the task list of a pack and year: one task per clause and responsible/cooperating unit.
    Running it again adds only what is missing."""
    from lishui.assessment import tasks

    _, db = load()
    try:
        with db.unit_of_work() as session:
            due_on = tasks.parse_date(due, "due") if due else None
            result = tasks.generate(session, operator_actor("assessment tasks generate"), pack_key=pack, year=year,
                                    due_on=due_on)
        typer.echo(f"{result.created} tasks created, {result.existing} already present")
        for name in result.unmapped:
            typer.secho(f"  unmapped unit (no registered organisation): {name}", fg=typer.colors.YELLOW)
    except DomainError as exc:
        console_error(exc.message + "".join(f"; {f.field}: {f.message}" for f in exc.fields))
        raise typer.Exit(1) from None
    finally:
        db.dispose()


@app.command()
def bulletin(
    period: Annotated[str, typer.Option(help="Period: 2017, 2017Q4 or 2017-12")],
    output: Annotated[str, typer.Option(help="Also write the PDF to this file")] = "",
) -> None:
    """Generate and publish the progress bulletin of a period (archived, immutable); optionally save its PDF."""
    from pathlib import Path

    from lishui.assessment import bulletins

    _, db = load()
    try:
        with db.unit_of_work() as session:
            found = bulletins.publish(session, operator_actor("assessment bulletin"), period)
            number, title, digest, pdf = found.id, found.title, found.pdf_sha256, found.pdf
        typer.echo(f"bulletin {number} published: {title} (PDF {len(pdf):,} bytes, SHA-256 {digest})")
        if output:
            Path(output).write_bytes(pdf)
            typer.echo(f"PDF written to {output}")
    except DomainError as exc:
        console_error(exc.message + "".join(f"; {f.field}: {f.message}" for f in exc.fields))
        raise typer.Exit(1) from None
    finally:
        db.dispose()


@app.command("public-figures")
def public_figures() -> None:
    """Load the public figures about Lishui e-commerce (labelled as public figures; idempotent)."""
    from lishui.assessment import indicators

    _, db = load()
    try:
        with db.unit_of_work() as session:
            added = indicators.load_public_figures(session, operator_actor("assessment public-figures"))
        typer.echo(f"{added} public figures added ({len(indicators.PUBLIC_FIGURES)} in the dataset)")
    finally:
        db.dispose()


@tasks_app.command("list")
def tasks_list(
    year: Annotated[int, typer.Option(help="Assessment year")] = dt.date.today().year,
    colour: Annotated[str, typer.Option(help="green | yellow | red | closed (default: all)")] = "",
) -> None:
    """The tasks of a year with their colour and deadline (e.g. a daily job mailing the yellow and red ones)."""
    from lishui.assessment import tasks
    from lishui.core.actor import system_actor

    _, db = load()
    try:
        with db.unit_of_work() as session:
            found = tasks.list_tasks(session, system_actor("assessment tasks list"),
                                     tasks.TaskFilter(year=year, colour=colour))
            counts: dict[str, int] = {}
            for task in found:
                c = tasks.colour(task)
                counts[c] = counts.get(c, 0) + 1
                due = "report due" if tasks.report_due(task) else ""
                typer.echo(f"{task.id:>6}  {c:<7} {tasks.effective_due(task).isoformat()}  {task.clause_id:<10} "
                           f"{task.unit_name}  {task.title}  {due}".rstrip())
        typer.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no tasks")
    finally:
        db.dispose()
