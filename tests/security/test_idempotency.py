"""Idempotency keys (Stripe's rules): one record per key, identical responses, a reused key with another body
is refused — also under 20 concurrent identical requests against a live server."""

from __future__ import annotations

import threading

import httpx
from sqlalchemy import func, select

from lishui.registry import Organisation
from tests.e2e.conftest import live_server  # noqa: F401 - the fixture
from tests.factories import Factory


def _body(factory: Factory, name: str = "幂等测试电子商务有限公司") -> dict:
    return {"uscc": factory.uscc(), "name": name, "kind": "enterprise", "division_code": "331102"}


def _count(db, name: str) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Organisation).where(Organisation.name == name)) or 0


def test_same_key_same_body_creates_once_and_replays(client, factory: Factory, db):
    token = factory.token(factory.account("city_officer"))
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"}
    body = _body(factory)
    first = client.post("/api/v1/orgs", json=body, headers=headers)
    second = client.post("/api/v1/orgs", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert _count(db, body["name"]) == 1


def test_same_key_with_another_body_is_refused_and_changes_nothing(client, factory: Factory, db):
    token = factory.token(factory.account("city_officer"))
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-2"}
    assert client.post("/api/v1/orgs", json=_body(factory, "甲公司甲公司"), headers=headers).status_code == 201
    refused = client.post("/api/v1/orgs", json=_body(factory, "乙公司乙公司"), headers=headers)
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "Idempotency-Key"
    assert _count(db, "乙公司乙公司") == 0


def test_keys_belong_to_their_user(client, factory: Factory, db):
    a = factory.token(factory.account("city_officer"))
    b = factory.token(factory.account("city_officer"))
    body = _body(factory, "丙公司丙公司")
    assert client.post("/api/v1/orgs", json=body, headers={"Authorization": f"Bearer {a}",
                                                             "Idempotency-Key": "shared"}).status_code == 201
    other = client.post("/api/v1/orgs", json=body, headers={"Authorization": f"Bearer {b}",
                                                              "Idempotency-Key": "shared"})
    assert other.status_code == 409  # ran for user b: the credit code is already registered


def test_twenty_concurrent_identical_requests_create_one_record(live_server, factory: Factory, db):  # noqa: F811
    token = factory.token(factory.account("city_officer"))
    body = _body(factory, "并发幂等电子商务有限公司")
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "concurrent-1"}
    responses: list[httpx.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def call() -> None:
        start.wait()
        r = httpx.post(f"{live_server}/api/v1/orgs", json=body, headers=headers, timeout=60)
        with lock:
            responses.append(r)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(responses) == 20
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201][:2]
    assert len({r.text for r in responses}) == 1
    assert _count(db, body["name"]) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 19
