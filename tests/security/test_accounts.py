"""Accounts: password policy and age, lockout without account enumeration, session lifetime, rate limits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lishui.core import audit, clock
from lishui.core.errors import ValidationFailed
from lishui.identity.models import UserSession
from lishui.identity.passwords import check_policy
from lishui.main import create_app
from tests.factories import login
from tests.security.conftest import csrf_token_of

ERROR = re.compile(r'<div class="alert alert-error" role="alert">(.*?)</div>', re.S)


def post_login(client: TestClient, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password, "next": "/",
                                       "csrf_token": csrf_token_of(client)}, follow_redirects=False)


def error_of(resp) -> str:
    match = ERROR.search(resp.text)
    assert match, resp.text[:300]
    return match.group(1).strip()


def audit_events(db, event: str, object_id: int | None = None) -> list[audit.AuditRecord]:
    with db.unit_of_work() as session:
        stmt = select(audit.AuditRecord).where(audit.AuditRecord.event == event)
        if object_id is not None:
            stmt = stmt.where(audit.AuditRecord.object_id == str(object_id))
        return list(session.scalars(stmt.order_by(audit.AuditRecord.id)))


# ---------------------------------------------------------------- password policy

def test_passwords_are_stored_as_argon2id_hashes(db, factory):
    from lishui.identity.models import User
    from lishui.identity.passwords import DUMMY_HASH

    # The production cost (the suite hashes cheaply, see conftest): memory 64 MiB, three passes.
    assert DUMMY_HASH.startswith("$argon2id$") and "m=65536,t=3" in DUMMY_HASH
    account = factory.account("reviewer")
    with db.unit_of_work() as session:
        stored = session.get(User, account.user_id).password_hash
    assert stored.startswith("$argon2id$") and account.password not in stored


@pytest.mark.parametrize("password", [
    "Short-1a!", "alllowercaseletters", "UPPERandlowerOnly", "123456789012", "abcdefgh1234",
    "Has-the-user-name-42",
])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationFailed) as err:
        check_policy(password, username="user-name")
    assert err.value.fields[0].field == "password"


@pytest.mark.parametrize("password", ["Twelve-chars", "abcdefgh-123", "ABCDEFGH-123", "Correct-Horse-42!"])
def test_twelve_characters_of_three_classes_pass(password):
    check_policy(password, username="someone")


def test_a_weak_password_is_refused_on_change(client, factory):
    account = factory.account("city_officer")
    login(client, account)
    resp = client.post("/account/password", data={
        "current_password": account.password, "new_password": "short1A", "confirm_password": "short1A",
        "csrf_token": csrf_token_of(client)})
    assert resp.status_code == 422 and "至少12个字符" in resp.text


# ---------------------------------------------------------------- maximum age

def test_an_expired_password_must_be_changed_at_the_next_sign_in(client, factory):
    account = factory.account("city_officer")
    with clock.shifted(timedelta(days=89)):
        assert post_login(client, account.username, account.password).status_code == 303
        assert client.get("/registry/orgs", follow_redirects=False).status_code == 200  # the control
    client.cookies.clear()
    with clock.shifted(timedelta(days=91)):
        assert post_login(client, account.username, account.password).status_code == 303
        page = client.get("/registry/orgs", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/account/password"
        api = client.get("/api/v1/orgs")
        assert api.status_code == 403 and api.json()["code"] == "password_expired"
        assert client.get("/account/password").status_code == 200
        new = "Fresh-Password-91!"
        changed = client.post("/account/password", data={
            "current_password": account.password, "new_password": new, "confirm_password": new,
            "csrf_token": csrf_token_of(client)}, follow_redirects=False)
        assert changed.status_code == 303
        assert client.get("/registry/orgs", follow_redirects=False).status_code == 200


# ---------------------------------------------------------------- lockout

def test_five_failures_lock_the_account_without_revealing_it(settings, client, factory, db):
    account = factory.account("city_officer")
    unknown = post_login(client, "no-such-user", "Wrong-Password-1!")
    wrong = [post_login(client, account.username, "Wrong-Password-1!") for _ in range(settings.lockout_threshold)]
    assert all(r.status_code == 401 for r in [unknown, *wrong])
    locked = post_login(client, account.username, account.password)  # the right password, while locked
    assert locked.status_code == 401
    message = error_of(unknown)
    assert {error_of(r) for r in [*wrong, locked]} == {message}, "the answer tells the cases apart"
    assert "lishui_sid" not in client.cookies
    more_wrong = post_login(client, account.username, "Wrong-Password-1!")
    assert more_wrong.status_code == 401 and error_of(more_wrong) == message
    lockouts = audit_events(db, "identity.user.lockout", account.user_id)
    assert len(lockouts) == 1 and lockouts[0].outcome == "success"
    with clock.shifted(timedelta(minutes=settings.lockout_minutes - 1)):
        assert post_login(client, account.username, account.password).status_code == 401
    with clock.shifted(timedelta(minutes=settings.lockout_minutes + 1)):
        assert post_login(client, account.username, account.password).status_code == 303
    assert len(audit_events(db, "identity.user.lockout", account.user_id)) == 1


def test_four_failures_do_not_lock(settings, client, factory):
    account = factory.account("city_officer")
    for _ in range(settings.lockout_threshold - 1):
        post_login(client, account.username, "Wrong-Password-1!")
    assert post_login(client, account.username, account.password).status_code == 303


# ---------------------------------------------------------------- session lifetime

def _session_cookie(client: TestClient) -> str:
    [value] = [c.value for c in client.cookies.jar if c.name == "lishui_sid"]
    return value


def _session_rows(db, user_id: int) -> list[UserSession]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(UserSession).where(UserSession.user_id == user_id)))


def test_an_idle_session_ends_after_30_minutes(client, factory, db):
    account = factory.account("city_officer")
    login(client, account)
    with clock.shifted(timedelta(minutes=29)):
        assert client.get("/api/v1/me").status_code == 200
    with clock.shifted(timedelta(minutes=29 + 31)):
        assert client.get("/api/v1/me").status_code == 401
    [row] = _session_rows(db, account.user_id)
    assert row.ended_at is not None and row.end_reason == "idle_timeout"  # recorded, though the request failed
    assert client.get("/api/v1/me").status_code == 401  # ended for good, not merely idle


def test_an_active_session_ends_after_12_hours(client, factory, db):
    account = factory.account("city_officer")
    login(client, account)
    step = 25
    minute = step
    while minute < 12 * 60:
        with clock.shifted(timedelta(minutes=minute)):
            assert client.get("/api/v1/me").status_code == 200, f"ended early at {minute} min"
        minute += step
    with clock.shifted(timedelta(minutes=minute)):
        assert client.get("/api/v1/me").status_code == 401
    [row] = _session_rows(db, account.user_id)
    assert row.end_reason == "absolute_timeout"


def test_logout_ends_the_server_side_session(app, client, factory):
    login(client, factory.account("city_officer"))
    stolen = _session_cookie(client)
    resp = client.post("/logout", data={"csrf_token": csrf_token_of(client)}, follow_redirects=False)
    assert resp.status_code == 303
    with TestClient(app, base_url="http://127.0.0.1") as replay:
        replay.cookies.set("lishui_sid", stolen)
        assert replay.get("/api/v1/me").status_code == 401
        assert replay.get("/registry/orgs", follow_redirects=False).headers["location"].startswith("/login")


def test_every_sign_in_gets_a_new_session_id(client, factory):
    account = factory.account("city_officer")
    client.cookies.set("lishui_sid", "attacker-chosen-session-id", domain="127.0.0.1", path="/")
    login(client, account)
    first = _session_cookie(client)
    assert first != "attacker-chosen-session-id"
    client.cookies.delete("lishui_sid")
    login(client, account)
    second = _session_cookie(client)
    assert second != first and len(second) >= 32


# ---------------------------------------------------------------- rate limits

@pytest.fixture
def limited(settings, db):
    def make(**limits):
        return TestClient(create_app(settings.model_copy(update=limits), db), base_url="http://127.0.0.1")

    return make


def test_sign_in_is_rate_limited(limited):
    with limited(login_rate_per_minute=3) as client:
        statuses = [post_login(client, "someone", "Wrong-Password-1!").status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        api_style = client.post("/login", data={"csrf_token": csrf_token_of(client)},
                                headers={"Accept": "application/json"})
        assert api_style.status_code == 429 and api_style.json()["code"] == "rate_limited"


def test_the_second_factor_is_rate_limited(limited, factory):
    account = factory.account("security_admin")
    with limited(login_rate_per_minute=3) as client:
        assert post_login(client, account.username, account.password).status_code == 303
        token = csrf_token_of(client)
        statuses = [client.post("/account/mfa", data={"code": "000000", "csrf_token": token}).status_code
                    for _ in range(4)]
        assert statuses[-1] == 429 and 429 not in statuses[:3]


def test_exports_are_rate_limited(limited, factory):
    with limited(export_rate_per_minute=2) as client:
        login(client, factory.account("city_officer"))
        statuses = [client.get("/registry/orgs/export?format=csv").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
