"""The ``lishui`` command. Each domain adds its own sub-commands here."""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from lishui.assessment import cli as assessment_cli
from lishui.cli import audit_cmd, db_cmd, orgs_cmd, users_cmd
from lishui.core.console import console_error, load
from lishui.funds import cli as funds_cli
from lishui.marketplace import cli as marketplace_cli
from lishui.policy import cli as policy_cli
from lishui.stats import cli as stats_cli

app = typer.Typer(help="丽水市电子商务促进平台 — Lishui e-commerce promotion platform.", no_args_is_help=True,
                  add_completion=False)
app.add_typer(db_cmd.app, name="db")
app.add_typer(users_cmd.app, name="users")
app.add_typer(orgs_cmd.app, name="orgs")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(policy_cli.app, name="policy")
app.add_typer(marketplace_cli.app, name="marketplace")
app.add_typer(assessment_cli.app, name="assessment")
app.add_typer(funds_cli.app, name="funds")
app.add_typer(stats_cli.app, name="stats")

ENV_FILE = Path("var/lishui.env")


def ensure_local_env() -> None:
    """First run on a laptop: create var/lishui.env with a random secret key (never committed)."""
    import os

    if os.environ.get("LISHUI_SECRET_KEY") or ENV_FILE.exists():
        return
    ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    ENV_FILE.write_text(f"LISHUI_SECRET_KEY={secrets.token_urlsafe(48)}\n", encoding="utf-8")
    ENV_FILE.chmod(0o600)
    typer.echo(f"created {ENV_FILE} with a new random LISHUI_SECRET_KEY")


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port to serve on")] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve after preparing the database")] = True,
    enterprises: Annotated[int, typer.Option(help="How many enterprises to generate")] = 3000,
    reset: Annotated[bool, typer.Option(help="Delete an existing SQLite demo database first")] = False,
) -> None:
    """Migrate the database, load the deterministic Lishui demo data, print the demo accounts, serve."""
    from lishui.cli.demo import load_demo

    started = time.perf_counter()
    ensure_local_env()
    settings, db = load()
    if reset and settings.is_sqlite:
        db.dispose()
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        settings, db = load()
    accounts = load_demo(settings, db, enterprises=enterprises)
    typer.echo(f"demo ready in {time.perf_counter() - started:.1f} s — database {settings.database_url}")
    if accounts:
        typer.echo("\nDemo accounts (passwords generated now; also saved to var/demo-accounts.txt):")
        lines = [f"  {'username':<18} {'role':<16} {'password':<18} TOTP secret (admins, approver, finance)"]
        lines += [f"  {a.username:<18} {a.role:<16} {a.password:<18} {a.totp_secret}" for a in accounts]
        text = "\n".join(lines)
        typer.echo(text)
        out = Path("var/demo-accounts.txt")
        out.write_text(text + "\n", encoding="utf-8")
        out.chmod(0o600)
    else:
        typer.echo("demo data already present; accounts are listed in var/demo-accounts.txt")
    db.dispose()
    if serve:
        typer.echo(f"\nserving on http://{host}:{port}  (Ctrl-C to stop)")
        _serve(host, port)


def _serve(host: str, port: int) -> None:
    import uvicorn

    uvicorn.run("lishui.main:create_app", factory=True, host=host, port=port, server_header=False,
                proxy_headers=False, log_level="info")


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port to serve on")] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
) -> None:
    """Serve the platform (the database must already be migrated: `lishui db upgrade`)."""
    load()
    _serve(host, port)


def run() -> None:
    try:
        app()
    except Exception as exc:  # pragma: no cover - last resort: one line, no trace
        console_error(str(exc))
        sys.exit(1)
