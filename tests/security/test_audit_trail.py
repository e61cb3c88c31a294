"""Audit completeness: each audited action writes exactly one complete record."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lishui.core import audit
from tests.factories import Account, login
from tests.security.conftest import World, csrf_token_of
from tests.security.routes import Endpoint, endpoints, ids_of


def _last_id(world: World) -> int:
    with world.db.unit_of_work() as session:
        return session.scalar(select(func.max(audit.AuditRecord.id))) or 0


def _since(world: World, last_id: int) -> list[audit.AuditRecord]:
    with world.db.unit_of_work() as session:
        return list(session.scalars(select(audit.AuditRecord).where(audit.AuditRecord.id > last_id)
                                    .order_by(audit.AuditRecord.id)))


def exactly_one(world: World, event: str, action: Callable[[], object]) -> tuple[audit.AuditRecord, object]:
    before = _last_id(world)
    resp = action()
    records = [r for r in _since(world, before) if r.event == event]
    assert len(records) == 1, f"{event}: {len(records)} records ({[r.event for r in _since(world, before)]})"
    return records[0], resp


def assert_complete(record: audit.AuditRecord, account: Account, resp, *, outcome: str = "success") -> None:
    assert record.occurred_at is not None
    assert record.user_id == account.user_id and record.username == account.username
    assert record.org_id == account.org_id and record.role == account.role
    assert record.event and record.object_type
    assert record.outcome == outcome
    assert record.ip == "testclient"
    assert record.request_id and record.request_id == resp.headers["x-request-id"]
    assert len(record.hash) == 64 and len(record.prev_hash) == 64


def _sign_in(client: TestClient, account: Account, password: str | None = None):
    return client.post("/login", data={"username": account.username, "password": password or account.password,
                                       "csrf_token": csrf_token_of(client)}, follow_redirects=False)


def test_login_success(world: World):
    account = world.factory.account("reviewer")
    client = world.new_client()
    record, resp = exactly_one(world, "identity.login", lambda: _sign_in(client, account))
    assert resp.status_code == 303
    assert_complete(record, account, resp)
    assert record.object_id == str(account.user_id)


def test_login_failure(world: World):
    account = world.factory.account("reviewer")
    client = world.new_client()
    record, resp = exactly_one(world, "identity.login", lambda: _sign_in(client, account, "Wrong-Password-1!"))
    assert resp.status_code == 401
    assert_complete(record, account, resp, outcome="failure")
    assert "Wrong-Password" not in record.detail


def test_login_failure_of_an_unknown_user(world: World):
    client = world.new_client()
    ghost = Account(0, "no-such-user", "Wrong-Password-1!", 0, "anonymous")
    record, resp = exactly_one(world, "identity.login", lambda: _sign_in(client, ghost))
    assert record.outcome == "failure" and record.username == "no-such-user" and record.user_id is None
    assert record.object_type == "user" and record.ip == "testclient"
    assert record.request_id == resp.headers["x-request-id"]


def test_lockout(world: World):
    account = world.factory.account("reviewer")
    client = world.new_client()
    for _ in range(world.settings.lockout_threshold - 1):
        _sign_in(client, account, "Wrong-Password-1!")
    record, resp = exactly_one(world, "identity.user.lockout", lambda: _sign_in(client, account, "Wrong-Password-1!"))
    assert_complete(record, account, resp)
    assert record.object_id == str(account.user_id) and "locked_until" in record.detail


def test_role_change(world: World):
    target = world.factory.account("reviewer")
    admin = world.account("security_admin")
    client = world.client("security_admin")
    record, resp = exactly_one(world, "identity.user.role_change", lambda: client.post(
        f"/admin/users/{target.user_id}/role", data={"role": "approver", "csrf_token": csrf_token_of(client)},
        follow_redirects=False))
    assert resp.status_code == 303
    assert_complete(record, admin, resp)
    assert record.object_id == str(target.user_id)
    assert '"reviewer"' in record.before and '"approver"' in record.after


@pytest.mark.parametrize(("path", "event", "key"), [
    ("/api/v1/orgs/{}/reveal-bank-account", "registry.org.unmask", "ent_a"),
    ("/api/v1/people/{}/reveal-id-number", "registry.person.unmask", "person_a"),
    ("/registry/orgs/{}/reveal", "registry.org.unmask", "ent_a"),
    ("/registry/people/{}/reveal", "registry.person.unmask", "person_a"),
])
def test_unmasking(world: World, path: str, event: str, key: str):
    account = world.account("city_officer")
    client = world.client("city_officer")
    url = path.format(world.ids[key])
    token = csrf_token_of(client)
    if url.startswith("/api/"):
        action = lambda: client.post(url, json={"reason": "核对开户信息"}, headers={"X-CSRF-Token": token})  # noqa: E731
    else:
        action = lambda: client.post(url, data={"reason": "核对开户信息", "csrf_token": token})  # noqa: E731
    record, resp = exactly_one(world, event, action)
    assert resp.status_code == 200
    assert_complete(record, account, resp)
    assert record.object_id == str(world.ids[key]) and "核对开户信息" in record.detail


def test_unmasking_needs_a_reason_and_records_nothing_without_one(world: World):
    client = world.client("city_officer")
    before = _last_id(world)
    resp = client.post(f"/api/v1/orgs/{world.ids['ent_a']}/reveal-bank-account", json={"reason": "看"},
                       headers={"X-CSRF-Token": csrf_token_of(client)})
    assert resp.status_code == 422
    assert not [r for r in _since(world, before) if r.event.endswith(".unmask")]


EXPORTS = [e for e in endpoints(unsafe=False) if (e.permission or "").endswith(":export")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("endpoint", EXPORTS, ids=ids_of(EXPORTS))
def test_every_export(world: World, endpoint: Endpoint, fmt: str):
    account = world.account("city_officer")
    client = world.client("city_officer")
    event = endpoint.permission.replace(":", ".").rsplit(".", 1)[0] + ".export"
    record, resp = exactly_one(world, event, lambda: client.get(endpoint.url(world.ids) + f"?format={fmt}"))
    assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]
    assert_complete(record, account, resp)
    assert '"rows"' in record.detail


def test_exports_exist():
    assert EXPORTS, "no export route found: the export test covers nothing"


AUDIT_READS = [e for e in endpoints(unsafe=False) if e.permission == "audit:record:read"]


@pytest.mark.parametrize("endpoint", AUDIT_READS, ids=ids_of(AUDIT_READS))
def test_every_audit_query(world: World, endpoint: Endpoint):
    account = world.account("audit_admin")
    client = world.client("audit_admin")
    record, resp = exactly_one(world, "audit.query", lambda: client.get(endpoint.url({}) + "?event=identity."))
    assert resp.status_code == 200
    assert_complete(record, account, resp)
    assert '"identity."' in record.detail


def test_audit_queries_exist():
    assert len(AUDIT_READS) >= 2


def test_every_record_of_the_suite_verifies(world: World):
    login(world.new_client(), world.factory.account("reviewer"))
    with world.db.unit_of_work() as session:
        result = audit.verify_chain(session, world.db.keys.audit_key())
    assert result.ok and result.checked > 0
