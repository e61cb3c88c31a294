"""lishui users: create accounts from the server console."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from lishui.core.console import console_error, load, operator_actor
from lishui.core.errors import DomainError
from lishui.identity import service
from lishui.identity.roles import ROLES
from lishui.registry import Organisation

app = typer.Typer(help="User accounts.", no_args_is_help=True)


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[str, typer.Option(help="Role code: " + ", ".join(ROLES))],
    org: Annotated[str, typer.Option(help="Organisation's Unified Social Credit Code")],
    name: Annotated[str, typer.Option(help="Display name")] = "",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          help="Initial password (prompted if omitted)")] = "",
    must_change: Annotated[bool, typer.Option(help="Force a password change at first sign-in")] = True,
) -> None:
    """Create a user acting for an organisation, with one role."""
    _, db = load()
    try:
        with db.unit_of_work() as session:
            org_id = session.scalar(select(Organisation.id).where(Organisation.uscc == org.strip().upper()))
            if org_id is None:
                raise DomainError(f"no organisation with credit code {org}")
            user = service.create_user(session, operator_actor("users create"), username=username,
                                       display_name=name or username, org_id=org_id, role=role, password=password,
                                       must_change_password=must_change)
            typer.echo(f"created user {user.username} (id {user.id}, role {role})")
    except DomainError as exc:
        details = "; ".join(f"{f.field}: {f.message}" for f in exc.fields)
        console_error(exc.message + (f" — {details}" if details else ""))
        raise typer.Exit(1) from None
    finally:
        db.dispose()
