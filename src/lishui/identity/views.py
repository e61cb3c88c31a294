"""Pages: sign in and out, password change, second factor, home, user and token administration, audit."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from lishui.core import audit as audit_trail
from lishui.core.actor import Actor
from lishui.core.errors import DomainError
from lishui.identity import service
from lishui.identity.audit_service import AuditFilter, search_audit, verify
from lishui.identity.auth import cookie_name
from lishui.identity.roles import ROLES
from lishui.registry import Organisation
from lishui.web.deps import DbSession, RecordId, client_ip
from lishui.web.guard import public, require, signed_in
from lishui.web.nav import NavEntry, register
from lishui.web.templating import render
from lishui.web.todo import todos_for

router = APIRouter(include_in_schema=False)

register(NavEntry("工作台", "首页", "Home", "/", None, order=0))
register(NavEntry("系统管理", "用户管理", "Users", "/admin/users", "identity:user:read", order=900))
register(NavEntry("系统管理", "接口令牌", "API tokens", "/admin/tokens", "identity:token:read", order=910))
register(NavEntry("安全审计", "审计日志", "Audit trail", "/audit", "audit:record:read", order=950))
register(NavEntry("账户", "修改密码", "Change password", "/account/password", None, order=990))

Public = Annotated[Actor | None, Depends(public())]
LoginRate = Annotated[Actor | None, Depends(public(rate="login"))]


def _safe_next(value: str) -> str:
    parts = urlsplit(value or "/")
    if parts.scheme or parts.netloc or not (parts.path or "/").startswith("/") or value.startswith("//"):
        return "/"
    return value or "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, _: Public, next: str = "/") -> Response:
    return render(request, "identity/login.html", {"next": _safe_next(next), "error": "", "username": ""})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: DbSession,
    _: LoginRate,
    username: Annotated[str, Form(max_length=50)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = request.app.state.settings
    result = service.login(session, settings, username=username.strip(), password=password, ip=client_ip(request),
                           user_agent=request.headers.get("user-agent", ""),
                           request_id=getattr(request.state, "request_id", ""))
    if not result.ok:
        return render(request, "identity/login.html",
                      {"next": _safe_next(next), "error": result.message, "username": username}, status=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(cookie_name(settings), result.session_token, httponly=True, samesite="lax",
                        secure=settings.https, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, actor: Annotated[Actor, Depends(signed_in(allow_expired=True,
                                                                                      allow_no_mfa=True))]) -> Response:
    settings = request.app.state.settings
    service.logout(session, actor, request.cookies.get(cookie_name(settings), ""))
    response = RedirectResponse("/login?ok=logged_out", status_code=303)
    response.delete_cookie(cookie_name(settings), path="/")
    return response


@router.get("/lang")
def switch_language(request: Request, _: Public, to: str = "zh", next: str = "/") -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie("lang", "en" if to == "en" else "zh", samesite="lax", max_age=365 * 86400, httponly=True,
                        secure=request.app.state.settings.https)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession, actor: Annotated[Actor, Depends(signed_in())]) -> Response:
    from lishui.registry.service import OrgFilter, list_organisations

    _, org_count = list_organisations(session, actor, OrgFilter(per_page=1)) if actor.can(
        "registry:org:read") else ([], 0)
    org = session.get(Organisation, actor.org_id) if actor.org_id else None
    role = ROLES[actor.role]
    return render(request, "identity/home.html", {"role": role, "org": org, "org_count": org_count,
                                                  "todos": todos_for(session, actor)})


# ---------------------------------------------------------------- account

@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, _: Annotated[Actor, Depends(signed_in(allow_expired=True, allow_no_mfa=True))]
                  ) -> Response:
    return render(request, "identity/password.html", {"errors": {}, "message": ""})


@router.post("/account/password", response_class=HTMLResponse)
def password_submit(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(signed_in(allow_expired=True, allow_no_mfa=True))],
    current_password: Annotated[str, Form(max_length=200)],
    new_password: Annotated[str, Form(max_length=200)],
    confirm_password: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        service.change_password(session, request.app.state.settings, actor, current=current_password,
                                new=new_password, confirm=confirm_password)
    except DomainError as exc:
        session.rollback()
        return render(request, "identity/password.html",
                      {"errors": {f.field: f.message for f in exc.fields}, "message": exc.message}, status=422)
    return RedirectResponse("/?ok=password_changed", status_code=303)


@router.get("/account/mfa", response_class=HTMLResponse)
def mfa_page(request: Request, session: DbSession,
             actor: Annotated[Actor, Depends(signed_in(allow_no_mfa=True))], next: str = "/") -> Response:
    from lishui.identity.models import User

    user = session.get(User, actor.user_id)
    enrol_uri = ""
    if user is not None and not user.totp_secret_cipher:
        enrol_uri = service.enrol_totp(session, actor)
    return render(request, "identity/mfa.html", {"next": _safe_next(next), "enrol_uri": enrol_uri, "error": ""})


@router.post("/account/mfa", response_class=HTMLResponse)
def mfa_submit(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(signed_in(allow_no_mfa=True, rate="mfa"))],
    code: Annotated[str, Form(max_length=10)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    token = request.cookies.get(cookie_name(request.app.state.settings), "")
    if not service.verify_totp(session, actor, token, code):
        return render(request, "identity/mfa.html",
                      {"next": _safe_next(next), "enrol_uri": "", "error": "动态口令错误或已使用过"}, status=401)
    return RedirectResponse(_safe_next(next), status_code=303)


# ---------------------------------------------------------------- administration

@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, session: DbSession,
               _: Annotated[Actor, Depends(require("identity:user:read"))]) -> Response:
    users = service.list_users(session)
    orgs = dict(session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_({u.org_id for u in users}))).tuples().all())
    return render(request, "identity/users.html", {"users": users, "orgs": orgs, "roles": ROLES, "errors": {},
                                                    "message": "", "form": {}})


@router.post("/admin/users", response_class=HTMLResponse)
def users_create(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require("identity:user:write"))],
    username: Annotated[str, Form(max_length=50)],
    display_name: Annotated[str, Form(max_length=50)],
    org_uscc: Annotated[str, Form(max_length=18)],
    role: Annotated[str, Form(max_length=30)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    org_id = session.scalar(select(Organisation.id).where(Organisation.uscc == org_uscc.strip().upper()))
    try:
        if org_id is None:
            from lishui.core.errors import FieldError, ValidationFailed

            raise ValidationFailed("机构不存在", [FieldError("org_uscc", "未找到该统一社会信用代码的机构")])
        service.create_user(session, actor, username=username.strip(), display_name=display_name.strip(),
                            org_id=org_id, role=role, password=password, must_change_password=True)
    except DomainError as exc:
        session.rollback()
        users = service.list_users(session)
        orgs = dict(session.execute(select(Organisation.id, Organisation.name)).tuples().all())
        return render(request, "identity/users.html", {
            "users": users, "orgs": orgs, "roles": ROLES, "errors": {f.field: f.message for f in exc.fields},
            "message": exc.message, "form": {"username": username, "display_name": display_name,
                                             "org_uscc": org_uscc, "role": role}}, status=422)
    return RedirectResponse("/admin/users?ok=created", status_code=303)


@router.post("/admin/users/{user_id}/unlock")
def users_unlock(user_id: RecordId, session: DbSession,
                 actor: Annotated[Actor, Depends(require("identity:user:unlock"))]) -> Response:
    service.unlock_user(session, actor, user_id)
    return RedirectResponse("/admin/users?ok=unlocked", status_code=303)


@router.post("/admin/users/{user_id}/role")
def users_role(user_id: RecordId, session: DbSession, actor: Annotated[Actor, Depends(require("identity:user:role"))],
               role: Annotated[str, Form(max_length=30)]) -> Response:
    service.change_role(session, actor, user_id, role)
    return RedirectResponse("/admin/users?ok=saved", status_code=303)


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, session: DbSession,
                _: Annotated[Actor, Depends(require("identity:token:read"))]) -> Response:
    return render(request, "identity/tokens.html", {"tokens": service.list_tokens(session), "new_token": "",
                                                     "users": service.list_users(session), "message": ""})


@router.post("/admin/tokens", response_class=HTMLResponse)
def tokens_create(request: Request, session: DbSession,
                  actor: Annotated[Actor, Depends(require("identity:token:write"))],
                  name: Annotated[str, Form(min_length=1, max_length=100)],
                  user_id: Annotated[int, Form()]) -> Response:
    try:
        raw = service.create_token(session, actor, user_id=user_id, name=name.strip())
    except DomainError as exc:
        session.rollback()
        return render(request, "identity/tokens.html", {"tokens": service.list_tokens(session), "new_token": "",
                                                         "users": service.list_users(session),
                                                         "message": exc.message}, status=exc.status)
    return render(request, "identity/tokens.html", {"tokens": service.list_tokens(session), "new_token": raw,
                                                     "users": service.list_users(session), "message": ""})


@router.post("/admin/tokens/{token_id}/revoke")
def tokens_revoke(token_id: RecordId, session: DbSession,
                  actor: Annotated[Actor, Depends(require("identity:token:write"))]) -> Response:
    service.revoke_token(session, actor, token_id)
    return RedirectResponse("/admin/tokens?ok=revoked", status_code=303)


# ---------------------------------------------------------------- audit trail

@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: DbSession, actor: Annotated[Actor, Depends(require("audit:record:read"))],
               event: str = "", username: str = "", outcome: str = "", date_from: str = "", date_to: str = "",
               page: int = 1) -> Response:
    f = AuditFilter(event=event, username=username, outcome=outcome, date_from=date_from, date_to=date_to,
                    page=max(1, page))
    records, total = search_audit(session, actor, f)
    total_all = session.scalar(select(func.count()).select_from(audit_trail.AuditRecord)) or 0
    return render(request, "identity/audit.html", {"records": records, "total": total, "f": f,
                                                    "pages": max(1, -(-total // f.per_page)), "total_all": total_all,
                                                    "verify": None})


# Verification only reads the chain (and records that it did, like a query): a safe method, so the audit
# administrator holds no permission behind an unsafe one.
@router.get("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, session: DbSession,
                 actor: Annotated[Actor, Depends(require("audit:record:verify"))]) -> Response:
    result = verify(session, actor)
    f = AuditFilter()
    records, total = search_audit(session, actor, f, record_query=False)
    return render(request, "identity/audit.html", {"records": records, "total": total, "f": f,
                                                    "pages": max(1, -(-total // f.per_page)), "total_all": total,
                                                    "verify": result})
