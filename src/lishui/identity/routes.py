"""JSON API for accounts, tokens and the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from lishui.core.actor import Actor
from lishui.identity import service
from lishui.identity.audit_service import AuditFilter, search_audit, verify
from lishui.identity.models import ApiToken
from lishui.identity.schemas import (
    AuditPage,
    AuditRead,
    Me,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
    VerifyRead,
)
from lishui.web.deps import DbSession, RecordId
from lishui.web.guard import require, signed_in

router = APIRouter(prefix="/api/v1", tags=["identity"])


@router.get("/me", response_model=Me)
def me(actor: Annotated[Actor, Depends(signed_in(allow_expired=True, allow_no_mfa=True))]) -> Me:
    return Me(user_id=actor.user_id, username=actor.username, display_name=actor.display_name, role=actor.role,
              org_id=actor.org_id, scope=actor.scope, scope_division=actor.scope_division,
              permissions=sorted(actor.permissions))


@router.get("/users", response_model=list[UserRead])
def users(session: DbSession, _: Annotated[Actor, Depends(require("identity:user:read"))]) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in service.list_users(session)]


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, session: DbSession,
                actor: Annotated[Actor, Depends(require("identity:user:write"))]) -> UserRead:
    user = service.create_user(session, actor, username=body.username, display_name=body.display_name,
                               org_id=body.org_id, role=body.role, password=body.password,
                               must_change_password=True)
    return UserRead.model_validate(user)


@router.get("/tokens", response_model=list[TokenRead])
def tokens(session: DbSession, _: Annotated[Actor, Depends(require("identity:token:read"))]) -> list[TokenRead]:
    return [TokenRead.model_validate(t) for t in service.list_tokens(session)]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, session: DbSession,
                 actor: Annotated[Actor, Depends(require("identity:token:write"))]) -> TokenCreated:
    raw = service.create_token(session, actor, user_id=body.user_id, name=body.name, days=body.days)
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.prefix == raw[:10]).order_by(ApiToken.id.desc()))
    return TokenCreated(id=token_id or 0, token=raw)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: RecordId, session: DbSession,
                 actor: Annotated[Actor, Depends(require("identity:token:write"))]) -> Response:
    service.revoke_token(session, actor, token_id)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPage)
def audit_records(
    session: DbSession,
    actor: Annotated[Actor, Depends(require("audit:record:read"))],
    event: Annotated[str, Query(max_length=100)] = "",
    username: Annotated[str, Query(max_length=100)] = "",
    outcome: Annotated[str, Query(max_length=20)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> AuditPage:
    rows, total = search_audit(session, actor, AuditFilter(event, username, outcome, date_from, date_to, page))
    return AuditPage(items=[AuditRead.model_validate(r) for r in rows], total=total)


@router.get("/audit/verify", response_model=VerifyRead)
def audit_verify(session: DbSession, actor: Annotated[Actor, Depends(require("audit:record:verify"))]) -> VerifyRead:
    result = verify(session, actor)
    return VerifyRead(ok=result.ok, checked=result.checked, first_bad_id=result.first_bad_id, reason=result.reason)
