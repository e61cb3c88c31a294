"""Console plumbing shared by every domain's commands: settings and database, errors, the operator as actor."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.orm import Session

from lishui.config import Settings, SettingsError, load_settings
from lishui.core.actor import Actor
from lishui.core.crypto import SettingsKeyProvider
from lishui.core.db import Database
from lishui.core.errors import DomainError


def console_error(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)


def load() -> tuple[Settings, Database]:
    try:
        settings = load_settings()
    except SettingsError as exc:
        console_error(str(exc))
        raise typer.Exit(2) from None
    return settings, Database(settings.database_url, SettingsKeyProvider(settings.secret_key, settings.field_key))


def operator_actor(command: str) -> Actor:
    """Commands run on the server act as the operator's OS account, recorded in the audit trail."""
    return Actor(user_id=None, username=f"cli:{getpass.getuser()}", display_name="命令行", role="system",
                 org_id=None, permissions=frozenset({"*"}), scope="city", request_id=command)


def import_file(file: Path, command: str, run: Callable[[Session, Actor, bytes, str], Any],
                done: Callable[[Any], str]) -> None:
    """An all-or-nothing file import from the command line. ``run(session, actor, content, filename)`` returns a
    report (``ok``, ``errors``, ``total_rows``, optionally ``truncated``); with any error nothing is written and
    each is listed by row and column (exit 1), else ``done(report)`` is printed."""
    _, db = load()
    try:
        with db.unit_of_work() as session:
            report = run(session, operator_actor(command), file.read_bytes(), file.name)
            if not report.ok:
                session.rollback()
                more = " (first errors only)" if getattr(report, "truncated", False) else ""
                console_error(f"{len(report.errors)} problem(s) in {report.total_rows} rows{more}; nothing imported")
                for e in report.errors:
                    typer.echo(f"  row {e.row}, column {e.field}: {e.message}", err=True)
                raise typer.Exit(1)
            typer.echo(done(report))
    except DomainError as exc:
        details = "; ".join(f"{f.field}: {f.message}" for f in exc.fields)
        console_error(exc.message + (f" — {details}" if details else ""))
        raise typer.Exit(1) from None
    finally:
        db.dispose()
