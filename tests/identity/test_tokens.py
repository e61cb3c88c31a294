"""Bearer tokens through the app: who a token acts as, and that revocation, expiry and deactivation hold from the
next request on (nothing about a token is remembered between requests)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from lishui.core import clock
from lishui.identity import service as identity
from lishui.identity.models import ApiToken, User

EVALUATE = "/api/v1/policy/evaluate"
PACKS = "/api/v1/policy/packs"


@pytest.fixture(autouse=True)
def _published_packs(factory):
    factory.publish_packs()


def evaluate(client: TestClient, token: str, org_id: int) -> int:
    resp = client.post(EVALUATE, json={"org_id": org_id, "year": 2017, "measure": "M03"},
                       headers={"Authorization": f"Bearer {token}"})
    return resp.status_code


def refused(client: TestClient, token: str, org_id: int) -> bool:
    """401 unauthenticated on a read and on a write (a bad token is not checked as a browser form would be)."""
    read = client.get(PACKS, headers={"Authorization": f"Bearer {token}"})
    write = client.post(EVALUATE, json={"org_id": org_id, "year": 2017, "measure": "M03"},
                        headers={"Authorization": f"Bearer {token}"})
    return (read.status_code, read.json()["code"], write.status_code, write.json()["code"]) == (
        401, "unauthenticated", 401, "unauthenticated")


def test_a_token_acts_as_its_user_within_the_users_county(client: TestClient, factory, db):
    officer = factory.account("county_officer", division="331122")
    token = factory.token(officer)
    own = factory.org(division="331122")
    elsewhere = factory.org(division="331102")
    with db.unit_of_work() as session:
        assert session.scalar(select(ApiToken.last_used_at)) is None
    assert evaluate(client, token, own) == 200
    assert evaluate(client, token, elsewhere) == 404  # data scope: another county's enterprise is not visible
    with db.unit_of_work() as session:
        assert session.scalar(select(ApiToken.last_used_at)) is not None
    city = factory.token(factory.account("city_officer"))
    assert evaluate(client, city, elsewhere) == 200


def test_unknown_revoked_and_expired_tokens_and_inactive_users_are_refused_at_once(client: TestClient, factory, db):
    account = factory.account("city_officer")
    org = factory.org()
    revoked, expired, inactive = (factory.token(account, name=n) for n in ("revoked", "expired", "inactive"))
    for token in (revoked, expired, inactive):
        assert evaluate(client, token, org) == 200
    assert refused(client, "lsk_" + "x" * 43, org)
    assert refused(client, revoked[4:], org)  # without the prefix
    with db.unit_of_work() as session:
        by_name = {t.name: t.id for t in identity.list_tokens(session)}
        identity.revoke_token(session, factory.system, by_name["revoked"])
        session.execute(update(ApiToken).where(ApiToken.id == by_name["expired"])
                        .values(expires_at=clock.now() - timedelta(seconds=1)))
    assert refused(client, revoked, org)
    assert refused(client, expired, org)
    assert evaluate(client, inactive, org) == 200
    with db.unit_of_work() as session:
        session.execute(update(User).where(User.id == account.user_id).values(is_active=False))
    assert refused(client, inactive, org)


def test_a_request_with_no_credentials_at_all_is_told_to_authenticate(client: TestClient, factory):
    org = factory.org()
    resp = client.post(EVALUATE, json={"org_id": org, "year": 2017, "measure": "M03"})
    assert (resp.status_code, resp.json()["code"]) == (401, "unauthenticated")
    assert client.get(PACKS).status_code == 401
