"""Console plumbing shared by every domain's commands: settings and database, errors, the operator as actor."""

from __future__ import annotations

import getpass

import typer

from lishui.config import Settings, SettingsError, load_settings
from lishui.core.actor import Actor
from lishui.core.crypto import SettingsKeyProvider
from lishui.core.db import Database


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
