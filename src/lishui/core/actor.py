"""Who is asking: the actor every service receives, and the data scope it carries.

Identity builds actors; every other domain only reads them, so domains need not import identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ScopeKind = Literal["org", "division", "city", "none"]


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    display_name: str
    role: str
    org_id: int | None
    permissions: frozenset[str]
    scope: ScopeKind
    # For scope "division": the county/zone code the actor may see.
    scope_division: str | None = None
    session_id: str | None = None
    via_token: bool = False
    mfa_verified: bool = False
    mfa_required: bool = False
    password_expired: bool = False
    ip: str | None = None
    request_id: str | None = None
    extras: dict[str, str] = field(default_factory=dict)

    def can(self, permission: str) -> bool:
        return "*" in self.permissions or permission in self.permissions

    @property
    def is_system(self) -> bool:
        return self.user_id is None and self.role == "system"


def system_actor(reason: str = "system") -> Actor:
    """The platform itself (migrations, seeds, CLI run by an operator on the server)."""
    return Actor(
        user_id=None,
        username=reason,
        display_name="系统",
        role="system",
        org_id=None,
        permissions=frozenset({"*"}),
        scope="city",
    )
