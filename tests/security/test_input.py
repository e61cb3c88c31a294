"""Bad input anywhere gets a client error with the one error shape, never a server error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def api(app, factory):
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {factory.token(factory.account('city_officer'))}"
        client.org_id = factory.org()  # type: ignore[attr-defined]
        yield client


@pytest.mark.parametrize("url", ["/api/v1/orgs?q=a%00b", "/api/v1/people?q=%00", "/api/v1/orgs/1%00"])
def test_a_nul_character_in_the_address_is_refused(api, url):
    resp = api.get(url)
    assert resp.status_code == 400 and resp.json()["code"] == "bad_request"


def test_a_nul_character_on_a_page_address_is_refused_with_a_page(api):
    resp = api.get("/registry/orgs?q=%00")
    assert resp.status_code == 400 and "text/html" in resp.headers["content-type"]
    assert resp.headers["content-security-policy"]


@pytest.mark.parametrize("record_id", ["2147483648", "100000000000000000000000"])
@pytest.mark.parametrize("path", ["/api/v1/orgs/{}", "/api/v1/parks/{}", "/api/v1/people/{}"])
def test_an_id_beyond_the_database_range_is_a_client_error(api, path, record_id):
    resp = api.get(path.format(record_id))
    assert resp.status_code in (404, 422), resp.text
    assert set(resp.json()) == {"code", "message", "fields"}


def test_an_id_beyond_the_range_in_a_body_is_a_validation_error(api):
    resp = api.post("/api/v1/tokens", json={"name": "x", "user_id": 10**20})
    assert resp.status_code in (403, 422)  # a city officer may not issue tokens at all


def test_a_nul_character_in_a_body_is_a_client_error(api):
    resp = api.put(f"/api/v1/orgs/{api.org_id}", json={
        "name": "含\x00字符有限公司", "kind": "enterprise", "division_code": "331102", "revision": 1})
    assert resp.status_code < 500, resp.text
