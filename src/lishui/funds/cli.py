"""lishui funds: budget, candidates, batch, reconcile — run by an operator on the server (audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lishui.core.errors import DomainError
from lishui.core.money import Money

app = typer.Typer(help="Special funds: budgets, 免申即享 candidates, payment batches, reconciliation.",
                  no_args_is_help=True)


def _fail(exc: DomainError) -> None:
    typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
    for f in exc.fields:
        where = f" (row {f.row})" if f.row else ""
        typer.secho(f"  {f.field}{where}: {f.message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@app.command()
def budget(
    year: Annotated[int, typer.Argument(help="Budget year")],
    general: Annotated[str, typer.Option(help="General line, yuan (create)")] = "",
    rural: Annotated[str, typer.Option(help="Rural line, yuan (create)")] = "",
    provincial: Annotated[str, typer.Option(help="Provincial funding source, yuan (create)")] = "0",
) -> None:
    """Show a year's budget (appropriated, committed, spent, available per line); with --general/--rural, create it."""
    from lishui.core.console import load, operator_actor
    from lishui.funds import service

    _, db = load()
    try:
        with db.unit_of_work() as session:
            if general or rural:
                service.create_budget(session, operator_actor("funds budget"), year=year, lines={
                    ("general", "city"): Money.yuan(general or "0"), ("rural", "city"): Money.yuan(rural or "0"),
                    ("general", "provincial"): Money.yuan(provincial or "0")})
            lines = service.budget_lines(session, year)
            if not lines:
                typer.echo(f"no budget for {year}")
                raise typer.Exit(1)
            typer.echo(f"{'line':<10} {'source':<11} {'appropriated':>16} {'committed':>16} {'spent':>16} "
                       f"{'available':>16}")
            for line in lines:
                typer.echo(f"{line.line:<10} {line.source:<11} {line.appropriated!s:>16} {line.committed!s:>16} "
                           f"{line.spent!s:>16} {line.available!s:>16}")
    except DomainError as exc:
        _fail(exc)
    finally:
        db.dispose()


@app.command()
def candidates(
    period: Annotated[int, typer.Option("--period", help="Year of the batch run")],
    run: Annotated[int, typer.Option(help="Batch run id (default: the latest completed run of the period)")] = 0,
) -> None:
    """Create 免申即享 candidate claims from a completed batch run."""
    from sqlalchemy import select

    from lishui.core.console import load, operator_actor
    from lishui.funds import candidates as cands
    from lishui.policy.models import BatchRun

    _, db = load()
    try:
        with db.unit_of_work() as session:
            run_id = run or session.scalar(select(BatchRun.id).where(BatchRun.year == period, BatchRun.status == "done")
                                           .order_by(BatchRun.id.desc()).limit(1))
            if not run_id:
                typer.echo(f"no completed batch run for {period}: run `lishui policy` batch first")
                raise typer.Exit(1)
            report = cands.create_candidates(session, operator_actor("funds candidates"), run_id)
        typer.echo(f"run #{report.run_id}: {report.created} candidate claims created, {report.skipped_existing} "
                   f"already claimed, {report.skipped_flagged} refused (credit flag)")
    except DomainError as exc:
        _fail(exc)
    finally:
        db.dispose()


@app.command()
def batch(
    year: Annotated[int, typer.Argument(help="Year of the approved claims")],
    output: Annotated[Path | None, typer.Option(help="Write the bank payment file (.xlsx or .csv)")] = None,
    paid_file: Annotated[Path | None, typer.Option("--paid-file", help="Import the bank's paid file")] = None,
) -> None:
    """Group approved claims into a payment batch and write the bank file; or import the bank's paid file."""
    from lishui.core.console import load, operator_actor
    from lishui.core.tabular import write_csv, write_xlsx
    from lishui.funds import payments

    _, db = load()
    actor = operator_actor("funds batch")
    try:
        with db.unit_of_work() as session:
            if paid_file is not None:
                report = payments.import_paid_file(session, actor, paid_file.read_bytes(), paid_file.name)
                if not report.ok:
                    raise DomainError("paid file has errors; nothing marked", fields=report.errors)
                typer.echo(f"{report.paid} paid, {report.bounced} bounced, {report.unchanged} already applied")
                return
            created = payments.create_batch(session, actor, year=year)
            headers, rows = payments.bank_file_rows(session, actor, created.id)
            typer.echo(f"batch #{created.id}: {created.count} payments, total {created.total}")
            if output is not None:
                data = write_csv(headers, rows) if output.suffix == ".csv" else write_xlsx(headers, rows, "付款")
                output.write_bytes(data)
                typer.echo(f"bank file written to {output}")
    except DomainError as exc:
        _fail(exc)
    finally:
        db.dispose()


@app.command("lapse-returns")
def lapse_returns(dry_run: Annotated[bool, typer.Option("--dry-run", help="List them, change nothing")] = False
                  ) -> None:
    """Treat returned claims past their deadline as withdrawn (逾期未补正视为撤回); run daily, e.g. from cron."""
    from lishui.core.actor import system_actor
    from lishui.core.console import load
    from lishui.funds import service

    _, db = load()
    try:
        with db.unit_of_work() as session:
            lapsed = service.lapse_returns(session, system_actor("funds lapse-returns"), dry_run=dry_run)
            for claim in lapsed:
                typer.echo(f"#{claim.id} {claim.measure_id} {claim.year} org {claim.org_id}: deadline "
                           f"{claim.return_deadline}")
        typer.echo(f"{len(lapsed)} returned claim(s) past their deadline" + (" (dry run: nothing changed)"
                                                                           if dry_run else " withdrawn"))
    except DomainError as exc:
        _fail(exc)
    finally:
        db.dispose()


@app.command()
def reconcile(year: Annotated[int, typer.Argument(help="Budget year")]) -> None:
    """Prove the books balance and every paid claim has exactly one disbursement (exit 1 if not)."""
    from lishui.core.console import load
    from lishui.funds import ledger

    _, db = load()
    try:
        with db.unit_of_work() as session:
            result = ledger.reconcile(session, year)
        typer.echo(f"{year}: {result.entries} entries; appropriated {Money(result.appropriated)}, committed "
                   f"{Money(result.committed)}, spent {Money(result.spent)}; {result.paid_claims} paid claims")
        if not result.ok:
            for problem in result.problems:
                typer.secho(f"  ✗ {problem}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1)
        typer.echo("books balance; every paid claim has exactly one disbursement")
    finally:
        db.dispose()


@app.command()
def statement(
    year: Annotated[int, typer.Argument(help="Budget year")],
    output: Annotated[Path, typer.Argument(help="Excel file to write (.xlsx)")],
) -> None:
    """The year-end statement: budget execution by line, measure, county and month, and the reconciliation."""
    from lishui.core.console import load
    from lishui.core.tabular import write_xlsx
    from lishui.funds import ledger, reports
    from lishui.funds.views import division_names

    _, db = load()
    try:
        with db.unit_of_work() as session:
            report = reports.execution(session, year)
            result = ledger.reconcile(session, year)
        rows = reports.export_rows(report, division_names())
        rows.append(["对账", "借贷平衡、每笔已支付申报恰有一笔拨付" if result.ok else "；".join(result.problems)[:500],
                     result.paid_claims, Money(result.committed).as_yuan, Money(result.spent).as_yuan,
                     Money(result.appropriated).as_yuan, None])
        output.write_bytes(write_xlsx(reports.EXPORT_HEADERS, rows, f"{year}年度决算"))
        typer.echo(f"{year} statement written to {output} ({len(rows)} rows); books "
                   f"{'balance' if result.ok else 'DO NOT balance'}")
        if not result.ok:
            raise typer.Exit(1)
    finally:
        db.dispose()
