"""lishui audit: verify the hash chain, apply retention."""

from __future__ import annotations

from typing import Annotated

import typer

from lishui.core import audit
from lishui.core.console import load, operator_actor

app = typer.Typer(help="Audit trail.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Check the HMAC-SM3 hash chain; report the first edited, removed or inserted record."""
    _, db = load()
    try:
        with db.unit_of_work() as session:
            result = audit.verify_chain(session, db.keys.audit_key())
        if result.ok:
            typer.echo(f"audit chain intact: {result.checked} records verified")
        else:
            typer.secho(f"audit chain BROKEN at record {result.first_bad_id}: {result.reason} "
                        f"({result.checked} records verified before it)", fg=typer.colors.RED, err=True)
            raise typer.Exit(1)
    finally:
        db.dispose()


@app.command()
def purge(keep_days: Annotated[int, typer.Option(help="Keep at least this many days (never below 185)")] = 365
          ) -> None:
    """Remove audit records older than KEEP_DAYS, leaving a checkpoint record so the chain still verifies."""
    _, db = load()
    try:
        with db.unit_of_work() as session:
            removed = audit.purge_expired(session, operator_actor("audit purge"), keep_days)
        typer.echo(f"removed {removed} audit records older than {max(keep_days, audit.RETENTION_FLOOR_DAYS)} days")
    finally:
        db.dispose()
