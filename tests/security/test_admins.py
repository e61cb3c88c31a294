"""Second factor for administrators, approvers and finance officers; the three separate administrators."""

from __future__ import annotations

import pyotp
import pytest
from fastapi.testclient import TestClient

from lishui.core.errors import Forbidden
from lishui.identity import service as identity
from lishui.identity.roles import ADMIN_ROLES, AUDIT_ROLES, CONSOLE_APPOINTED_ROLES, ROLES
from tests.factories import login
from tests.security.conftest import World, csrf_token_of
from tests.security.routes import Endpoint, call, endpoints, ids_of
from tests.security.test_access import SIGNED_IN_ALLOW_LIST, any_ids

MFA_ROLES = sorted(code for code, role in ROLES.items() if role.mfa_required)


def test_the_roles_that_need_a_second_factor():
    assert set(MFA_ROLES) == {"sys_admin", "security_admin", "audit_admin", "approver", "finance_officer"}


def _first(role: str, *, api: bool) -> Endpoint:
    """A read route of the role's own permissions (no path parameters)."""
    perms = ROLES[role].permissions
    found = [e for e in endpoints(unsafe=False, with_permission=True)
             if e.is_api == api and not e.params and e.permission in perms]
    assert found, f"{role}: no {'API' if api else 'page'} route to try"
    return found[0]


def _password_only(world: World, role: str) -> TestClient:
    account = world.factory.account(role)
    client = world.new_client()
    login(client, account, mfa=False)
    client.account = account  # type: ignore[attr-defined]
    return client


@pytest.mark.parametrize("role", MFA_ROLES)
def test_a_password_only_session_is_stopped_at_the_second_factor(world: World, role: str):
    client = _password_only(world, role)
    page, api = _first(role, api=False), _first(role, api=True)
    resp = client.get(page.path, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/account/mfa")
    resp = client.get(api.path)
    assert resp.status_code == 403 and resp.json()["code"] == "mfa_required"
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"].startswith("/account/mfa")

    secret = client.account.totp_secret  # type: ignore[attr-defined]
    code = pyotp.TOTP(secret).now()
    wrong = client.post("/account/mfa", data={"code": "000000" if code != "000000" else "111111",
                                              "csrf_token": csrf_token_of(client)})
    assert wrong.status_code == 401
    ok = client.post("/account/mfa", data={"code": code, "csrf_token": csrf_token_of(client), "next": page.path},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == page.path
    assert client.get(page.path).status_code == 200
    assert client.get(api.path).status_code == 200

    # The same code again, from a second password-only session of the same account: refused.
    second = world.new_client()
    login(second, client.account, mfa=False)  # type: ignore[attr-defined]
    replay = second.post("/account/mfa", data={"code": code, "csrf_token": csrf_token_of(second)})
    assert replay.status_code == 401 and "已使用" in replay.text
    assert second.get(api.path).status_code == 403


def test_roles_without_a_second_factor_are_not_asked_for_one(world: World):
    client = world.client("city_officer")
    assert client.get("/registry/orgs", follow_redirects=False).status_code == 200


def test_no_api_token_for_roles_that_need_a_second_factor_or_read_the_audit(world: World):
    for role in sorted(set(MFA_ROLES) | AUDIT_ROLES):
        account = world.factory.account(role)
        with pytest.raises(Forbidden):
            world.factory.token(account)
    resp = world.client("security_admin").post("/api/v1/tokens", headers={
        "X-CSRF-Token": csrf_token_of(world.client("security_admin"))},
        json={"name": "x", "user_id": world.factory.account("approver").user_id})
    assert resp.status_code == 403


def test_a_token_stops_working_when_its_user_needs_a_second_factor(world: World):
    account = world.factory.account("reviewer")
    token = world.factory.token(account)
    headers = {"Authorization": f"Bearer {token}"}
    assert world.anonymous().get("/api/v1/orgs", headers=headers).status_code == 200
    with world.db.unit_of_work() as session:
        identity.change_role(session, world.factory.system, account.user_id, "approver")
    resp = world.anonymous().get("/api/v1/orgs", headers=headers)
    assert resp.status_code == 403 and resp.json()["code"] == "mfa_required"


# ---------------------------------------------------------------- three administrators

def test_the_three_administrators_hold_separate_duties():
    sys_perms, sec_perms, aud_perms = (ROLES[r].permissions for r in ("sys_admin", "security_admin", "audit_admin"))
    shared = {"registry:division:read"}  # reference data every role reads
    assert not (sys_perms & aud_perms) - shared
    assert not (sec_perms & aud_perms) - shared
    assert not any(p.startswith("audit:") for p in sys_perms | sec_perms)
    assert "identity:user:role" not in sys_perms  # the system administrator creates accounts ...
    assert "identity:user:write" not in sec_perms  # ... the security administrator assigns roles


def test_the_system_administrator_cannot_read_the_audit_trail(world: World):
    client = world.client("sys_admin")
    assert client.get("/audit", follow_redirects=False).status_code == 403
    resp = client.get("/api/v1/audit")
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"
    assert client.get("/api/v1/audit/verify").status_code == 403


def test_the_audit_administrator_reads_the_audit_trail(world: World):
    client = world.client("audit_admin")
    assert client.get("/audit").status_code == 200
    assert client.get("/api/v1/audit").status_code == 200
    verified = client.get("/api/v1/audit/verify")
    assert verified.status_code == 200 and verified.json()["ok"] is True


AUDIT_ADMIN_WRITES = [e for e in endpoints(unsafe=True, public=False) if e.id not in SIGNED_IN_ALLOW_LIST]


@pytest.mark.parametrize("endpoint", AUDIT_ADMIN_WRITES, ids=ids_of(AUDIT_ADMIN_WRITES))
def test_the_audit_administrator_writes_nothing(world: World, endpoint: Endpoint):
    """Every unsafe route (except signing in and out and its own password and second factor) refuses it."""
    client = world.client("audit_admin")
    resp = call(client, endpoint, endpoint.url(any_ids(world)), csrf=csrf_token_of(client),
                headers={"Accept": "application/json"})
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden", resp.text[:300]


def test_audit_permissions_are_read_only():
    for e in endpoints(unsafe=True):
        assert not (e.permission or "").startswith("audit:"), f"{e.id} is an unsafe route behind an audit permission"


def test_administrator_and_audit_accounts_are_created_on_the_console_only(world: World):
    """The system administrator may not create an audit (or any administrator) account it could then use."""
    sys_admin = world.client("sys_admin")
    org = world.ids["gov_331102"]
    for role in sorted(CONSOLE_APPOINTED_ROLES):
        resp = sys_admin.post("/api/v1/users", headers={"X-CSRF-Token": csrf_token_of(sys_admin)}, json={
            "username": f"new-{role.replace('_', '-')}", "display_name": "新账户", "org_id": org, "role": role,
            "password": "Initial-Password-1!"})
        assert resp.status_code == 403 and resp.json()["code"] == "separation_of_duties", resp.text
    ordinary = sys_admin.post("/api/v1/users", headers={"X-CSRF-Token": csrf_token_of(sys_admin)}, json={
        "username": "new-reviewer", "display_name": "新审核人员", "org_id": org, "role": "reviewer",
        "password": "Initial-Password-1!"})
    assert ordinary.status_code == 201
    world.factory.account("audit_admin")  # the console (system actor) may


@pytest.mark.parametrize(("before", "after"), [
    ("sys_admin", "audit_admin"), ("audit_admin", "security_admin"), ("security_admin", "sys_admin"),
    ("reviewer", "sys_admin"), ("reviewer", "audit_admin"), ("reviewer", "auditor"), ("sys_admin", "reviewer"),
])
def test_a_role_change_never_grants_converts_or_drops_an_administrator_role(world: World, before, after):
    """One account never holds two administrator duties, not even one after the other."""
    target = world.factory.account(before)
    client = world.client("security_admin")
    resp = client.post(f"/admin/users/{target.user_id}/role", data={"role": after,
                                                                    "csrf_token": csrf_token_of(client)},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 403 and resp.json()["code"] == "separation_of_duties"
    with world.db.unit_of_work() as session:
        from lishui.identity.models import User

        assert session.get(User, target.user_id).role == before


def test_ordinary_role_changes_still_work(world: World):
    target = world.factory.account("reviewer")
    client = world.client("security_admin")
    resp = client.post(f"/admin/users/{target.user_id}/role", data={"role": "approver",
                                                                    "csrf_token": csrf_token_of(client)},
                       follow_redirects=False)
    assert resp.status_code == 303


def test_a_role_change_respects_the_kind_of_organisation(world: World):
    """An enterprise's user must not become a city officer (city-wide access) by a role change."""
    target = world.factory.account("enterprise_user", org_id=world.ids["ent_b"])
    client = world.client("security_admin")
    resp = client.post(f"/admin/users/{target.user_id}/role", data={"role": "city_officer",
                                                                    "csrf_token": csrf_token_of(client)},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "role"


def test_admin_roles_are_among_the_console_appointed():
    assert ADMIN_ROLES <= CONSOLE_APPOINTED_ROLES and "auditor" in AUDIT_ROLES
