"""Accounts: users, login with lockout, server-side sessions, second factor, API tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import pyotp
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from lishui.config import Settings
from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.crypto import sm3
from lishui.core.db import cipher_of
from lishui.core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound, ValidationFailed
from lishui.identity.models import ApiToken, User, UserSession
from lishui.identity.passwords import DUMMY_HASH, check_policy, hash_password, verify_password
from lishui.identity.roles import CONSOLE_APPOINTED_ROLES, NO_TOKEN_ROLES, ROLES
from lishui.registry import Organisation, get_organisation_unscoped

TOKEN_PREFIX = "lsk_"  # noqa: S105 - a marker, not a secret


def _hash_secret(value: str) -> str:
    return sm3(value.encode()).hex()


class SeparationOfDuties(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "separation_of_duties", 403)


CONSOLE_ONLY = ("三员（系统、安全、审计管理员）及审计角色只能由运维人员在服务器控制台创建账户时指定"
                "（lishui users create）")


# ---------------------------------------------------------------- users

def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    org_id: int,
    role: str,
    password: str,
    must_change_password: bool = False,
) -> User:
    errors = []
    if role not in ROLES:
        errors.append(FieldError("role", f"未知角色“{role}”"))
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        errors.append(FieldError("username", "用户名只能包含字母、数字、下划线、点和连字符"))
    org = get_organisation_unscoped(session, org_id)
    if org is None:
        errors.append(FieldError("org_id", f"机构 {org_id} 不存在"))
    elif role in ROLES and ROLES[role].org_kinds and org.kind not in ROLES[role].org_kinds:
        errors.append(FieldError("role", f"角色“{ROLES[role].label}”不能属于该类机构"))
    if errors:
        raise ValidationFailed("用户信息有误", errors)
    if role in CONSOLE_APPOINTED_ROLES and not actor.is_system:
        raise SeparationOfDuties(CONSOLE_ONLY)
    check_policy(password, username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名“{username}”已被使用", [FieldError("username", "已被使用")])
    user = User(
        username=username,
        display_name=display_name or username,
        org_id=org_id,
        role=role,
        password_hash=hash_password(password),
        password_changed_at=clock.now(),
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "identity.user.create", object_type="user", object_id=user.id,
                 after={"username": username, "role": role, "org_id": org_id})
    return user


def change_role(session: Session, actor: Actor, user_id: int, role: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    if role not in ROLES:
        raise ValidationFailed("未知角色", [FieldError("role", f"未知角色“{role}”")])
    if user.id == actor.user_id:
        raise Forbidden("不能修改自己的角色")
    if role != user.role and (role in CONSOLE_APPOINTED_ROLES or user.role in CONSOLE_APPOINTED_ROLES):
        raise SeparationOfDuties(CONSOLE_ONLY + "；不能通过角色变更授予、转换或撤销")
    org = get_organisation_unscoped(session, user.org_id)
    if ROLES[role].org_kinds and (org is None or org.kind not in ROLES[role].org_kinds):
        raise ValidationFailed("角色与机构类别不符",
                               [FieldError("role", f"角色“{ROLES[role].label}”不能属于该用户所在的机构")])
    before = user.role
    user.role = role
    audit.record(session, actor, "identity.user.role_change", object_type="user", object_id=user.id,
                 before={"role": before}, after={"role": role})
    return user


def unlock_user(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor, "identity.user.unlock", object_type="user", object_id=user.id)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


# ---------------------------------------------------------------- login and sessions

@dataclass
class LoginResult:
    ok: bool
    message: str = ""
    session_token: str = ""
    user: User | None = None


GENERIC_FAILURE = "用户名或密码错误，或账户已被锁定"


def _anonymous(username: str, ip: str, request_id: str) -> Actor:
    return Actor(user_id=None, username=username[:100] or "-", display_name="", role="anonymous",
                 org_id=None, permissions=frozenset(), scope="none", ip=ip, request_id=request_id)


class _Owner(Protocol):
    """What an actor is made of: a ``User``, or a row with these columns."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def org_id(self) -> int: ...


def actor_for(user: User, org: Organisation | None, **extra: object) -> Actor:
    return _actor(user, None if org is None else org.division_code, **extra)


def _actor(user: _Owner, org_division: str | None, **extra: object) -> Actor:
    """``org_division``: the division of the user's organisation, None without one."""
    role = ROLES[user.role]
    scope_division = None
    if role.scope == "division" and org_division is not None:
        scope_division = None if org_division == "331100" else org_division
    scope = role.scope if not (role.scope == "division" and scope_division is None) else "city"
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        org_id=user.org_id,
        permissions=role.permissions,
        scope=scope,
        scope_division=scope_division,
        mfa_required=role.mfa_required,
        **extra,  # type: ignore[arg-type]
    )


def login(
    session: Session, settings: Settings, *, username: str, password: str, ip: str, user_agent: str,
    request_id: str = "",
) -> LoginResult:
    """Check the password; count failures and lock; open a new server-side session on success.

    The answer never tells whether the account exists or is locked.
    """
    now = clock.now()
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        verify_password(DUMMY_HASH, password)
        audit.record(session, _anonymous(username, ip, request_id), "identity.login", object_type="user",
                     outcome="failure", detail={"reason": "unknown_user"})
        return LoginResult(False, GENERIC_FAILURE)
    org = get_organisation_unscoped(session, user.org_id)
    actor = actor_for(user, org, ip=ip, request_id=request_id)
    if user.locked_until is not None and user.locked_until > now:
        verify_password(DUMMY_HASH, password)
        audit.record(session, actor, "identity.login", object_type="user", object_id=user.id,
                     outcome="failure", detail={"reason": "locked"})
        return LoginResult(False, GENERIC_FAILURE)
    if not user.is_active or not verify_password(user.password_hash, password):
        user.failed_logins += 1
        audit.record(session, actor, "identity.login", object_type="user", object_id=user.id,
                     outcome="failure", detail={"reason": "bad_password" if user.is_active else "inactive",
                                                "failed_logins": user.failed_logins})
        if user.failed_logins >= settings.lockout_threshold:
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
            audit.record(session, actor, "identity.user.lockout", object_type="user", object_id=user.id,
                         outcome="success", detail={"locked_until": user.locked_until.isoformat()})
        return LoginResult(False, GENERIC_FAILURE)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    token = secrets.token_urlsafe(32)
    session.add(UserSession(id_hash=_hash_secret(token), user_id=user.id, created_at=now, last_seen_at=now,
                            ip=ip, user_agent=user_agent[:300]))
    audit.record(session, actor, "identity.login", object_type="user", object_id=user.id, outcome="success")
    return LoginResult(True, "", token, user)


def password_expired(user: User, settings: Settings) -> bool:
    return user.must_change_password or (
        clock.now() - user.password_changed_at > timedelta(days=settings.password_max_age_days)
    )


def resolve_session(session: Session, settings: Settings, token: str) -> tuple[UserSession, User] | None:
    """The live session for a cookie value, or None if unknown, ended, idle too long or too old."""
    if not token:
        return None
    row = session.get(UserSession, _hash_secret(token))
    if row is None or row.ended_at is not None:
        return None
    now = clock.now()
    reason = ""
    if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        reason = "idle_timeout"
    elif now - row.created_at > timedelta(hours=settings.session_absolute_hours):
        reason = "absolute_timeout"
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        reason = reason or "user_inactive"
    if reason:
        row.ended_at = now
        row.end_reason = reason
        return None
    row.last_seen_at = now
    assert user is not None
    return row, user


def logout(session: Session, actor: Actor, token: str) -> None:
    row = session.get(UserSession, _hash_secret(token))
    if row is not None and row.ended_at is None:
        row.ended_at = clock.now()
        row.end_reason = "logout"
        audit.record(session, actor, "identity.logout", object_type="user", object_id=actor.user_id)


def change_password(session: Session, settings: Settings, actor: Actor, *, current: str, new: str,
                    confirm: str) -> None:
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound()
    if not verify_password(user.password_hash, current):
        raise ValidationFailed("当前密码不正确", [FieldError("current_password", "当前密码不正确")])
    if new != confirm:
        raise ValidationFailed("两次输入的新密码不一致", [FieldError("confirm_password", "两次输入不一致")])
    if verify_password(user.password_hash, new):
        raise ValidationFailed("新密码不能与当前密码相同", [FieldError("new_password", "不能与当前密码相同")])
    check_policy(new, user.username, field="new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = clock.now()
    user.must_change_password = False
    audit.record(session, actor, "identity.password.change", object_type="user", object_id=user.id)


# ---------------------------------------------------------------- second factor (TOTP)

def enrol_totp(session: Session, actor: Actor) -> str:
    """Create (or replace) the user's TOTP secret; returns the provisioning URI to show once."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound()
    secret = pyotp.random_base32()
    user.totp_secret_cipher = cipher_of(session).encrypt(secret, f"users.totp:{user.id}")
    user.totp_last_step = 0
    audit.record(session, actor, "identity.mfa.enrol", object_type="user", object_id=user.id)
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="丽水电商平台")


def totp_secret(session: Session, user: User) -> str | None:
    if not user.totp_secret_cipher:
        return None
    return cipher_of(session).decrypt(user.totp_secret_cipher, f"users.totp:{user.id}")


def verify_totp(session: Session, actor: Actor, session_token: str, code: str) -> bool:
    """Accept a current code once: a replayed code (same or older time step) is refused."""
    user = session.get(User, actor.user_id)
    if user is None:
        return False
    secret = totp_secret(session, user)
    if secret is None:
        return False
    totp = pyotp.TOTP(secret)
    now = clock.now()
    matched_step = None
    for drift in (0, -1, 1):
        at = now + timedelta(seconds=30 * drift)
        if totp.verify(code.strip(), for_time=at, valid_window=0):
            matched_step = int(at.timestamp()) // 30
            break
    if matched_step is None or matched_step <= user.totp_last_step:
        audit.record(session, actor, "identity.mfa.verify", object_type="user", object_id=user.id,
                     outcome="failure", detail={"reason": "replay" if matched_step else "bad_code"})
        return False
    user.totp_last_step = matched_step
    row = session.get(UserSession, _hash_secret(session_token))
    if row is not None:
        row.mfa_verified = True
    audit.record(session, actor, "identity.mfa.verify", object_type="user", object_id=user.id)
    return True


# ---------------------------------------------------------------- API tokens

def create_token(session: Session, actor: Actor, *, user_id: int, name: str, days: int | None = 365) -> str:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    if user.role in NO_TOKEN_ROLES:
        raise Forbidden("不能为管理员、需二次验证的角色或审计角色签发接口令牌")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = clock.now() + timedelta(days=days) if days else None
    token = ApiToken(name=name, prefix=raw[:10], token_hash=_hash_secret(raw), user_id=user_id,
                     created_by=actor.user_id, expires_at=expires)
    session.add(token)
    session.flush()
    audit.record(session, actor, "identity.token.create", object_type="api_token", object_id=token.id,
                 after={"name": name, "user_id": user_id, "expires_at": expires})
    return raw


def revoke_token(session: Session, actor: Actor, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        audit.record(session, actor, "identity.token.revoke", object_type="api_token", object_id=token.id)


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


# Every bearer request runs this: the token, its owner and the owner's division in one query, built once (a
# statement built per call, and three ORM loads, cost more in Python than the queries in the database).
_TOKEN_OWNER = (
    select(ApiToken.id.label("token_id"), ApiToken.expires_at, ApiToken.revoked_at, ApiToken.last_used_at,
           User.id, User.username, User.display_name, User.role, User.org_id, User.is_active,
           Organisation.division_code)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(Organisation, Organisation.id == User.org_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def token_actor(session: Session, raw: str, **extra: object) -> Actor | None:
    """The actor a bearer token acts as, or None: unknown, revoked or expired token, or inactive owner. Read from the
    database on every request, so a revocation or deactivation holds from the next request on."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(_TOKEN_OWNER, {"token_hash": _hash_secret(raw)}).one_or_none()
    now = clock.now()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now) \
            or not row.is_active:
        return None
    # Record use at most once a minute: an update on every call would make concurrent requests with one token
    # queue on its row lock.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        session.execute(update(ApiToken).where(ApiToken.id == row.token_id).values(last_used_at=now))
    return _actor(row, row.division_code, via_token=True, **extra)


def end_sessions_of(session: Session, actor: Actor, user_id: int) -> int:
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user_id,
                                                     UserSession.ended_at.is_(None))).all()
    for row in rows:
        row.ended_at = clock.now()
        row.end_reason = "revoked"
    audit.record(session, actor, "identity.session.revoke", object_type="user", object_id=user_id,
                 detail={"sessions": len(rows)})
    return len(rows)

