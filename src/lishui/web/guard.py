"""Deny by default: every route names its guard.

``require("domain:resource:action")`` admits an authenticated actor holding the permission;
``signed_in()`` any authenticated actor; ``public()`` anyone. Each guard also enforces CSRF on unsafe
methods for cookie sessions, the second factor for roles that need it, and an expired password.
``create_app`` refuses to start if a route has no guard.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from lishui.core.actor import Actor
from lishui.core.errors import Forbidden, TooManyRequests, Unauthenticated
from lishui.web.deps import DbSession, client_ip

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class Authenticator(Protocol):
    def authenticate(self, request: Request, session: Session) -> Actor | None: ...

    def csrf_token(self, request: Request) -> str: ...


def authenticator(request: Request) -> Authenticator:
    found: Authenticator = request.app.state.authenticator
    return found


async def sent_csrf_token(request: Request) -> str:
    """The CSRF token the client sent (header, or form field), read in the event loop without database work."""
    if request.method in SAFE_METHODS:
        return ""
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else ""
    return sent


def _check_csrf(request: Request, sent: str) -> None:
    expected = authenticator(request).csrf_token(request)
    if not sent or not hmac.compare_digest(sent, expected):
        raise Forbidden("表单已失效或来源不明（CSRF 校验失败），请刷新页面后重试", code="csrf_failed")


def _rate_limit(request: Request, bucket: str | None) -> None:
    if bucket is None:
        return
    settings = request.app.state.settings
    limit = {"login": settings.login_rate_per_minute, "mfa": settings.login_rate_per_minute,
             "export": settings.export_rate_per_minute}[bucket]
    if not request.app.state.rate_limiter.hit(bucket, client_ip(request), limit):
        raise TooManyRequests()


GuardFn = Callable[..., Any]


def _make_guard(
    *, permission: str | None, public: bool, rate: str | None, allow_expired: bool, allow_no_mfa: bool
) -> GuardFn:
    # A plain function: FastAPI runs it in the thread pool, so its database work never blocks the event loop
    # (an async guard doing blocking queries deadlocks concurrent requests waiting on each other's locks).
    def guard(request: Request, session: DbSession, sent: Annotated[str, Depends(sent_csrf_token)]) -> Actor | None:
        _rate_limit(request, rate)
        actor = authenticator(request).authenticate(request, session)
        request.state.actor = actor
        if actor is None:
            # Keep what authentication recorded (an idle or expired session marked as ended) even when the
            # request is then refused: nothing else has happened in this unit of work yet.
            session.commit()
            if request.headers.get("authorization", "").lower().startswith("bearer "):
                # A system that sent a token is told the token is bad (401), on every route and method, rather
                # than being checked as a browser form would be.
                raise Unauthenticated("访问令牌无效、已撤销或已过期")
            if not public:
                raise Unauthenticated()  # nobody signed in: nothing for a forged form to act as
            if request.method not in SAFE_METHODS:
                _check_csrf(request, sent)
            return None
        if request.method not in SAFE_METHODS and not actor.via_token:
            _check_csrf(request, sent)
        if public:
            return actor
        if actor.password_expired and not allow_expired:
            raise Forbidden("密码已过期，请先修改密码", code="password_expired")
        # A bearer token is one factor: a role that needs two is refused with a token as with a password alone.
        if actor.mfa_required and not actor.mfa_verified and not allow_no_mfa:
            raise Forbidden("该角色需要完成二次验证（动态口令）", code="mfa_required")
        if permission is not None and not actor.can(permission):
            raise Forbidden()
        return actor

    guard.__guard__ = {"permission": permission, "public": public}  # type: ignore[attr-defined]
    return guard


def require(permission: str, *, rate: str | None = None) -> GuardFn:
    return _make_guard(permission=permission, public=False, rate=rate, allow_expired=False, allow_no_mfa=False)


def signed_in(*, allow_expired: bool = False, allow_no_mfa: bool = False, rate: str | None = None) -> GuardFn:
    return _make_guard(
        permission=None, public=False, rate=rate, allow_expired=allow_expired, allow_no_mfa=allow_no_mfa
    )


def public(*, rate: str | None = None) -> GuardFn:
    return _make_guard(permission=None, public=True, rate=rate, allow_expired=True, allow_no_mfa=True)


@dataclass(frozen=True)
class RouteEntry:
    """One route as served: its full path (router prefixes applied), its methods and the route itself."""

    path: str
    methods: frozenset[str]
    route: Any  # the effective route context: ``dependant`` includes router-level dependencies

    @property
    def guard(self) -> dict[str, Any] | None:
        return guard_of(self.route)


def served_routes(routes: Iterable[BaseRoute]) -> tuple[list[RouteEntry], list[BaseRoute]]:
    """Flatten ``app.routes`` (FastAPI keeps included routers as nested entries) into API routes and the rest."""
    api: list[RouteEntry] = []
    other: list[BaseRoute] = []
    for context in iter_route_contexts(list(routes)):
        if isinstance(context.original_route, APIRoute):
            api.append(RouteEntry(str(context.path), frozenset(context.methods or ()), context))
        else:
            other.append(context.original_route)
    return api, other


def guard_of(route: Any) -> dict[str, Any] | None:
    """The guard declared on a FastAPI route, found in its dependency tree."""
    dependant = getattr(route, "dependant", None)
    stack = list(dependant.dependencies) if dependant is not None else []
    while stack:
        dep = stack.pop()
        info = getattr(dep.call, "__guard__", None)
        if info is not None:
            found: dict[str, Any] = info
            return found
        stack.extend(dep.dependencies)
    return None
