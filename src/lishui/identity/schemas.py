"""API shapes for accounts and audit."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from lishui.web.deps import MAX_ID


class Me(BaseModel):
    user_id: int | None
    username: str
    display_name: str
    role: str
    org_id: int | None
    scope: str
    scope_division: str | None
    permissions: list[str]


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=50)
    display_name: str = Field(min_length=1, max_length=50)
    org_id: int = Field(ge=1, le=MAX_ID)
    role: str = Field(max_length=30)
    password: str = Field(max_length=200)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    org_id: int
    role: str
    is_active: bool
    locked_until: datetime | None


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    user_id: int = Field(ge=1, le=MAX_ID)
    days: int | None = Field(default=365, ge=1, le=3650)


class TokenCreated(BaseModel):
    id: int
    token: str = Field(description="Shown once; store it now")


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    user_id: int
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    user_id: int | None
    username: str
    org_id: int | None
    role: str
    event: str
    object_type: str
    object_id: str
    outcome: str
    ip: str
    request_id: str
    before: str
    after: str
    detail: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditRead]
    total: int


class VerifyRead(BaseModel):
    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str
