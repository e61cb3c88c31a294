"""Personal information: masked on every page, API answer and export; never cached; never logged."""

from __future__ import annotations

import io
import logging

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from lishui.core.ids import mask_account, mask_resident_id
from lishui.core.tabular import write_csv
from lishui.identity.roles import ROLES
from lishui.registry import service as registry
from tests.factories import login
from tests.security.conftest import World, csrf_token_of
from tests.security.routes import Endpoint, call, endpoints, ids_of

READS = [e for e in endpoints(unsafe=False, public=False)]
CITY_READER = "city_officer"


def _reader(endpoint: Endpoint) -> str:
    """A role allowed to call the route, preferring the city officer (who sees every record)."""
    if endpoint.permission is None or endpoint.permission in ROLES[CITY_READER].permissions:
        return CITY_READER
    holders = [r for r in ROLES if endpoint.permission in ROLES[r].permissions]
    # Pages only organisations have (posting a demand, a provider's workspace): one of their roles.
    return next((r for r in holders if ROLES[r].scope == "city"), holders[0])


def _text_of(resp) -> str:
    if resp.headers.get("content-type", "").startswith("application/vnd.openxmlformats"):
        workbook = load_workbook(io.BytesIO(resp.content), read_only=True)
        return "\n".join(" ".join("" if v is None else str(v) for v in row)
                         for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True))
    return resp.content.decode("utf-8-sig", errors="replace")


def _visible(world: World) -> dict[str, int]:
    from tests.security.test_access import (
        assessment_bulletin,
        assessment_tasks,
        funds_samples,
        marketplace_samples,
        policy_samples,
    )
    from tests.stats.security_samples import any_stats_ids

    return {"org_id": world.ids["ent_a"], "park_id": world.ids["park_a"], "person_id": world.ids["person_a"],
            "user_id": world.account("enterprise_user").user_id, "token_id": 1, **policy_samples(world),
            **marketplace_samples(world), "task_id": assessment_tasks(world)["liandu"],
            "bulletin_id": assessment_bulletin(world), **funds_samples(world), **any_stats_ids(world)}


@pytest.mark.parametrize("endpoint", READS, ids=ids_of(READS))
def test_no_page_api_answer_or_export_shows_a_full_number_or_is_cached(world: World, endpoint: Endpoint):
    query = "?format=csv" if (endpoint.permission or "").endswith(":export") else ""
    resp = call(world.client(_reader(endpoint)), endpoint, endpoint.url(_visible(world)) + query)
    assert resp.status_code in (200, 404), (resp.status_code, resp.text[:300])
    body = _text_of(resp)
    for name, secret in world.secrets.items():
        assert secret not in body.replace(" ", ""), f"{endpoint.id} shows {name} in full"
    assert "no-store" in resp.headers["cache-control"]


def test_exports_in_excel_mask_too(world: World):
    resp = world.client(CITY_READER).get("/registry/orgs/export?format=xlsx")
    body = _text_of(resp)
    assert mask_account(world.secrets["ent_a_account"]) in body
    for secret in world.secrets.values():
        assert secret not in body.replace(" ", "")


@pytest.mark.parametrize("path", ["/registry/orgs/{org_id}", "/api/v1/orgs/{org_id}"])
def test_the_masked_account_is_what_is_shown(world: World, path: str):
    resp = world.client(CITY_READER).get(path.format(org_id=world.ids["ent_a"]))
    assert mask_account(world.secrets["ent_a_account"]) in resp.text
    assert world.secrets["ent_a_account"][-4:] in resp.text  # last four digits, the rest hidden


@pytest.mark.parametrize("path", ["/registry/people/{person_id}", "/api/v1/people/{person_id}", "/registry/people",
                                  "/api/v1/people"])
def test_the_masked_id_number_is_what_is_shown(world: World, path: str):
    resp = world.client(CITY_READER).get(path.format(person_id=world.ids["person_a"]))
    assert mask_resident_id(world.secrets["person_a_id_number"]) in resp.text


@pytest.mark.parametrize(("path", "key", "secret"), [
    ("/api/v1/orgs/{}/reveal-bank-account", "ent_a", "ent_a_account"),
    ("/api/v1/people/{}/reveal-id-number", "person_a", "person_a_id_number"),
    ("/registry/orgs/{}/reveal", "ent_a", "ent_a_account"),
    ("/registry/people/{}/reveal", "person_a", "person_a_id_number"),
])
def test_a_revealed_number_is_not_cached(world: World, path: str, key: str, secret: str):
    client = world.client(CITY_READER)
    url, token = path.format(world.ids[key]), csrf_token_of(client)
    if url.startswith("/api/"):
        resp = client.post(url, json={"reason": "核对开户信息"}, headers={"X-CSRF-Token": token})
    else:
        resp = client.post(url, data={"reason": "核对开户信息", "csrf_token": token})
    assert resp.status_code == 200 and world.secrets[secret] in resp.text
    assert "no-store" in resp.headers["cache-control"]


def test_revealing_needs_the_unmask_permission(world: World):
    """A county officer reads the masked record but may not reveal it."""
    client = world.client("county_officer")
    assert client.get(f"/api/v1/orgs/{world.ids['ent_b']}").status_code == 200
    resp = client.post(f"/api/v1/orgs/{world.ids['ent_b']}/reveal-bank-account", json={"reason": "核对开户信息"},
                       headers={"X-CSRF-Token": csrf_token_of(client)})
    assert resp.status_code == 403 and world.secrets["ent_b_account"] not in resp.text


# ---------------------------------------------------------------- logs

NOISY_LOGGERS = ("", "lishui", "uvicorn", "uvicorn.error", "uvicorn.access", "sqlalchemy", "sqlalchemy.engine",
                 "sqlalchemy.pool", "sqlalchemy.orm", "httpx", "httpcore", "multipart", "python_multipart",
                 "fastapi", "starlette", "alembic", "asyncio")


def test_no_secret_reaches_the_logs(app, factory, caplog):
    for name in NOISY_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    account = factory.account("city_officer")
    resident_id = factory.resident_id("331102")
    account_number = "6217009870012345678"
    token = factory.token(account)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, account)
        session_id = next(c.value for c in client.cookies.jar if c.name == "lishui_sid")
        bearer = {"Authorization": f"Bearer {token}"}
        csv = write_csv(list(registry.IMPORT_COLUMNS), [[
            factory.uscc("331102"), "日志检查电子商务有限公司", "企业", "莲都区", "", "", "", "", "", "",
            "丽水农商银行", account_number, "", ""]])
        imported = client.post("/api/v1/orgs/import", files={"file": ("orgs.csv", csv, "text/csv")}, headers=bearer)
        assert imported.status_code == 200, imported.text
        org_id = client.get("/api/v1/orgs?q=日志检查", headers=bearer).json()["items"][0]["id"]
        person = client.post("/api/v1/people", headers=bearer, json={
            "name": "李四", "id_number": resident_id, "division_code": "331102", "org_id": org_id})
        assert person.status_code == 201, person.text
        shown = client.post(f"/api/v1/orgs/{org_id}/reveal-bank-account", json={"reason": "核对开户信息"},
                            headers=bearer)
        assert shown.json()["value"] == account_number
        shown = client.post(f"/registry/people/{person.json()['id']}/reveal",
                            data={"reason": "核对身份信息", "csrf_token": csrf_token_of(client)})
        assert resident_id in shown.text
        wrong = client.post("/login", data={"username": account.username, "password": "Wrong-But-Close-42!",
                                            "csrf_token": csrf_token_of(client)})
        assert wrong.status_code == 401
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert "sqlalchemy.engine" in logged, "SQL logging did not switch on: the test would prove nothing"
    for name, secret in {"password": account.password, "wrong password": "Wrong-But-Close-42!",
                         "API token": token, "session id": session_id, "resident ID": resident_id,
                         "bank account": account_number}.items():
        assert secret not in logged, f"the {name} appears in the logs"
