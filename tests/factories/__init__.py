"""Factories: build organisations, users and signed-in clients with valid, unique data."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date

import pyotp
from fastapi.testclient import TestClient

from lishui.core.actor import Actor, system_actor
from lishui.core.db import Database, cipher_of
from lishui.identity import service as identity
from lishui.identity.models import User
from lishui.registry import service as registry
from lishui.registry.demo import make_resident_id, make_uscc
from lishui.registry.schemas import OrganisationCreate

PASSWORD = "Correct-Horse-42!"
_counter = itertools.count(1)


@dataclass
class Account:
    user_id: int
    username: str
    password: str
    org_id: int
    role: str
    totp_secret: str = ""


class Factory:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.rng = random.Random()
        self.system = system_actor("tests")

    def uscc(self, division: str = "331102") -> str:
        return make_uscc(self.rng, division)

    def resident_id(self, division: str = "331102") -> str:
        return make_resident_id(self.rng, division)

    def org(self, *, kind: str = "enterprise", division: str = "331102", name: str | None = None,
            bank_account: str = "", tags: list[str] | None = None, township: str | None = None) -> int:
        n = next(_counter)
        with self.db.unit_of_work() as session:
            org = registry.create_organisation(session, self.system, OrganisationCreate(
                uscc=self.uscc(division if division != "331199" else "331100"), name=name or f"测试机构{n}号有限公司",
                kind=kind, division_code=division, township_code=township, bank_account=bank_account,
                tags=tags or []))
            return org.id

    def account(self, role: str, *, org_id: int | None = None, division: str = "331102",
                with_totp: bool | None = None) -> Account:
        from lishui.identity.roles import ROLES

        r = ROLES[role]
        if org_id is None:
            kind = next(iter(r.org_kinds)) if r.org_kinds else "enterprise"
            org_id = self.org(kind=kind, division="331100" if kind in ("government", "bank") and r.scope == "city"
                              else division)
        username = f"{role.replace('_', '-')}-{next(_counter)}"
        secret = ""
        with self.db.unit_of_work() as session:
            user = identity.create_user(session, self.system, username=username, display_name=username,
                                        org_id=org_id, role=role, password=PASSWORD)
            if with_totp if with_totp is not None else r.mfa_required:
                secret = pyotp.random_base32()
                db_user = session.get(User, user.id)
                assert db_user is not None
                db_user.totp_secret_cipher = cipher_of(session).encrypt(secret, f"users.totp:{user.id}")
            return Account(user.id, username, PASSWORD, org_id, role, secret)

    def actor(self, account: Account) -> Actor:
        with self.db.unit_of_work() as session:
            user = session.get(User, account.user_id)
            assert user is not None
            org = registry.get_organisation_unscoped(session, user.org_id)
            return identity.actor_for(user, org, mfa_verified=True)

    def park_tenant(self, org_id: int, *, move_in: date = date(2017, 3, 1), division: str = "331102",
                    area: str = "200.00") -> int:
        """A new park in ``division`` (with its own operator) and the organisation as its tenant; the park id."""
        from decimal import Decimal

        operator = self.org(kind="park_operator", division=division)
        with self.db.unit_of_work() as session:
            park = registry.create_park(session, self.system, name=f"测试电商园{next(_counter)}号",
                                        operator_org_id=operator, division_code=division,
                                        total_area_m2=Decimal("20000.00"))
            registry.add_tenancy(session, self.system, park.id, org_id=org_id, move_in_date=move_in,
                                 leased_area_m2=Decimal(area))
            return park.id

    def facts(self, org_id: int, year: int, **values: object) -> None:
        """Record policy facts for an organisation and year, as an officer would (values as text or numbers)."""
        from lishui.policy import facts as policy_facts
        from lishui.policy import service as policy

        with self.db.unit_of_work() as session:
            for name, value in values.items():
                text = ("是" if value else "否") if isinstance(value, bool) else str(value)
                policy_facts.record_fact(session, self.system, policy.fact_symbols(), org_id=org_id, year=year,
                                         name=name, value=text)

    def publish_packs(self) -> None:
        """Publish the shipped policy packs, as a deployment does before any batch run (免申即享)."""
        from lishui.policy import service as policy

        with self.db.unit_of_work() as session:
            policy.publish_shipped(session, self.system, "tests")

    def token(self, account: Account, name: str = "test") -> str:
        with self.db.unit_of_work() as session:
            return identity.create_token(session, self.system, user_id=account.user_id, name=name)


def login(client: TestClient, account: Account, *, mfa: bool = True) -> TestClient:
    """Sign in through the login page (and the second factor when the role needs it)."""
    from tests.conftest import csrf_from

    page = client.get("/login")
    resp = client.post("/login", data={"username": account.username, "password": account.password,
                                       "csrf_token": csrf_from(page.text), "next": "/"}, follow_redirects=False)
    assert resp.status_code == 303, resp.text[:500]
    if account.totp_secret and mfa:
        page = client.get("/account/mfa")
        resp = client.post("/account/mfa", data={"code": pyotp.TOTP(account.totp_secret).now(),
                                                  "csrf_token": csrf_from(page.text), "next": "/"},
                           follow_redirects=False)
        assert resp.status_code == 303, resp.text[:500]
    return client


def csrf(client: TestClient, path: str = "/") -> str:
    from tests.conftest import csrf_from

    return csrf_from(client.get(path).text)
