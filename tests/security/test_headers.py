"""Security headers on every kind of response, and the session cookie's attributes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lishui.core.db import Database
from lishui.main import create_app
from lishui.web.guard import public
from tests.conftest import TEST_SECRET
from tests.factories import login
from tests.security.conftest import csrf_token_of


def _with_crash_route(app):
    @app.get("/__boom")
    def boom(_: object = Depends(public())) -> None:
        raise RuntimeError("secret internal detail 6222020000000000011")

    return app


def _responses(client: TestClient, signed_in: TestClient) -> Iterator[tuple[str, object]]:
    yield "page", signed_in.get("/registry/orgs")
    yield "login page", client.get("/login")
    yield "redirect to login", client.get("/registry/orgs", follow_redirects=False)
    yield "api 200", signed_in.get("/api/v1/me")
    yield "api 401", client.get("/api/v1/orgs")
    yield "openapi", client.get("/api/openapi.json")
    yield "api docs", client.get("/api/docs")
    yield "static", client.get("/static/app.css")
    yield "page 404", signed_in.get("/no/such/page")
    yield "api 404", client.get("/api/v1/no-such-thing")
    yield "405", client.delete("/login")
    yield "413", client.post("/api/v1/orgs/import", content=b"x" * (2 * 1024 * 1024),
                             headers={"content-type": "application/octet-stream"})
    yield "page 500", client.get("/__boom")
    yield "api 500", client.get("/__boom", headers={"Accept": "application/json"})


@pytest.fixture
def small_app(settings):
    return lambda **kw: _with_crash_route(create_app(settings.model_copy(update={"max_upload_bytes": 1024 * 1024,
                                                                                  **kw}),
                                                     Database(settings.database_url, _keys(settings))))


def _keys(settings):
    from lishui.core.crypto import SettingsKeyProvider

    return SettingsKeyProvider(settings.secret_key, settings.field_key)


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_every_response_carries_the_security_headers(small_app, factory, https):
    app = small_app(https=https)
    base = "https://127.0.0.1" if https else "http://127.0.0.1"
    with TestClient(app, base_url=base, raise_server_exceptions=False) as client, \
            TestClient(app, base_url=base) as signed_in:
        login(signed_in, factory.account("city_officer"))
        seen = set()
        for kind, resp in _responses(client, signed_in):
            h = resp.headers
            seen.add(resp.status_code)
            assert "frame-ancestors 'none'" in h.get("content-security-policy", ""), kind
            assert "default-src 'self'" in h["content-security-policy"], kind
            assert h.get("x-content-type-options") == "nosniff", kind
            assert h.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), kind
            assert "server" not in h, kind
            assert h.get("x-request-id"), kind
            if https:
                assert h.get("strict-transport-security", "").startswith("max-age="), kind
            else:
                assert "strict-transport-security" not in h, kind
            if resp.status_code == 500:
                assert "secret internal detail" not in resp.text and "Traceback" not in resp.text
                assert "6222020000000000011" not in resp.text
        assert {200, 303, 401, 404, 405, 413, 500} <= seen


def test_internal_errors_answer_json_to_the_api_and_a_page_to_people(small_app):
    with TestClient(small_app(), raise_server_exceptions=False) as client:
        api = client.get("/__boom", headers={"Accept": "application/json"})
        assert api.status_code == 500 and api.json() == {"code": "internal_error",
                                                         "message": "系统内部错误，请稍后重试", "fields": []}
        page = client.get("/__boom")
        assert page.status_code == 500 and "text/html" in page.headers["content-type"]
        assert "系统内部错误" in page.text


def test_api_docs_are_the_only_page_allowed_inline_script(client):
    assert "'unsafe-inline'" not in client.get("/login").headers["content-security-policy"]
    assert "'unsafe-inline'" in client.get("/api/docs").headers["content-security-policy"]


def _set_cookies(resp) -> dict[str, str]:
    out = {}
    for raw in resp.headers.get_list("set-cookie"):
        name = raw.split("=", 1)[0]
        out[name] = raw
    return out


def test_session_cookie_over_http_is_httponly_and_samesite(client, factory):
    account = factory.account("city_officer")
    resp = client.post("/login", data={"username": account.username, "password": account.password,
                                       "csrf_token": csrf_token_of(client)}, follow_redirects=False)
    cookie = _set_cookies(resp)["lishui_sid"]
    attrs = {a.strip().lower() for a in cookie.split(";")}
    assert "httponly" in attrs and "samesite=lax" in attrs and "path=/" in attrs
    assert "secure" not in attrs  # a Secure cookie would be dropped by the browser over plain HTTP


def test_session_cookie_over_https_has_the_host_prefix_and_is_secure(settings, db, factory):
    app = create_app(settings.model_copy(update={"https": True}), db)
    with TestClient(app, base_url="https://127.0.0.1") as client:
        account = factory.account("city_officer")
        first = client.get("/login")
        seed = _set_cookies(first)["lishui_seed"].lower()
        assert "secure" in seed and "httponly" in seed
        resp = client.post("/login", data={"username": account.username, "password": account.password,
                                           "csrf_token": csrf_token_of(client)}, follow_redirects=False)
        cookies = _set_cookies(resp)
        assert "lishui_sid" not in cookies
        attrs = [a.strip().lower() for a in cookies["__Host-lishui_sid"].split(";")]
        assert {"httponly", "secure", "samesite=lax", "path=/"} <= set(attrs)
        assert not any(a.startswith("domain=") for a in attrs)  # __Host- forbids Domain
        assert client.get("/api/v1/me").status_code == 200
        lang = _set_cookies(client.get("/lang?to=en", follow_redirects=False))["lang"].lower()
        assert "secure" in lang


def test_the_server_runs_without_a_server_header(monkeypatch, tmp_path):
    import uvicorn

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    from lishui.cli.main import app as cli

    result = CliRunner().invoke(cli, ["serve"], env={"LISHUI_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
                                                     "LISHUI_SECRET_KEY": TEST_SECRET})
    assert result.exit_code == 0, result.output
    assert seen["server_header"] is False
    assert seen.get("proxy_headers") is False
