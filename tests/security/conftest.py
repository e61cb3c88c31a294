"""Fixtures of the security suite.

``world`` is one populated database and app per test module, with signed-in clients for any role, so the
tests that walk every route (and never change state: they are refused before a handler runs) stay fast.
Tests that change state use the function-scoped ``app``/``client``/``factory`` of tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lishui.config import Settings, load_settings
from lishui.core.crypto import SettingsKeyProvider
from lishui.core.db import Database
from lishui.main import create_app
from lishui.registry import service as registry
from tests.conftest import TEST_SECRET, scratch_database
from tests.factories import Account, Factory, login


@pytest.fixture(scope="module", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """Argon2id at its production cost makes every test account take a quarter second; the security tests
    check what is done with hashes, not the cost, so they hash cheaply. Restored after each module."""
    from argon2 import PasswordHasher

    from lishui.identity import passwords

    production = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = production


CSRF_META = re.compile(r'name="csrf-token" content="([0-9a-f]+)"|name="csrf_token" value="([0-9a-f]+)"')


def fresh_database(template_db: str, folder: Path) -> contextlib.AbstractContextManager[str]:
    """A new migrated database (copy of the session's template) for as long as the block runs."""
    return scratch_database(folder, template_db)


def make_settings(database_url: str, folder: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"database_url": database_url, "secret_key": TEST_SECRET,
                                 "upload_dir": folder / "uploads", "login_rate_per_minute": 100_000,
                                 "export_rate_per_minute": 100_000}
    values.update(overrides)
    return load_settings(**values)


def csrf_token_of(client: TestClient) -> str:
    """The CSRF token bound to this client's session (or to its anonymous seed cookie)."""
    signed_in = any(name.endswith("lishui_sid") for name in client.cookies.keys())  # noqa: SIM118
    page = client.get("/account/password" if signed_in else "/login", follow_redirects=False)
    match = CSRF_META.search(page.text)
    assert match, f"no CSRF token on {page.request.url} ({page.status_code})"
    return match.group(1) or match.group(2)


@dataclass
class World:
    app: FastAPI
    db: Database
    settings: Settings
    factory: Factory
    stack: contextlib.ExitStack
    ids: dict[str, int] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # the full ID and account numbers stored
    accounts: dict[str, Account] = field(default_factory=dict)
    _clients: dict[str, TestClient] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    def new_client(self) -> TestClient:
        return self.stack.enter_context(TestClient(self.app, base_url="http://127.0.0.1"))

    def anonymous(self) -> TestClient:
        return self.new_client()

    def account(self, role: str) -> Account:
        """One account per role, in the county 331102 (division roles) or the city (city roles)."""
        if role not in self.accounts:
            org_id = {"enterprise_user": self.ids["ent_a"], "county_officer": self.ids["gov_331102"]}.get(role)
            self.accounts[role] = self.factory.account(role, org_id=org_id)
        return self.accounts[role]

    def client(self, role: str) -> TestClient:
        """A client signed in as ``role``, second factor done where the role needs one."""
        if role not in self._clients:
            self._clients[role] = login(self.new_client(), self.account(role))
        return self._clients[role]

    def token(self, role: str) -> str:
        if role not in self._tokens:
            self._tokens[role] = self.factory.token(self.account(role))
        return self._tokens[role]


def populate(factory: Factory, ids: dict[str, int], secrets: dict[str, str]) -> None:
    """Two enterprises in Liandu (331102), one in Jinyun (331122), parks and people in each."""
    ids["gov_331102"] = factory.org(kind="government", division="331102", name="莲都区商务局")
    for key, name, division, account in (("ent_a", "甲电子商务有限公司", "331102", "6222020000000000011"),
                                         ("ent_b", "乙电子商务有限公司", "331102", "6222020000000000022"),
                                         ("ent_far", "丙电子商务有限公司", "331122", "6222020000000000033")):
        ids[key] = factory.org(name=name, division=division, bank_account=account)
        secrets[f"{key}_account"] = account
    ids["operator"] = factory.org(kind="park_operator", name="莲都电商园运营有限公司")
    ids["operator_far"] = factory.org(kind="park_operator", division="331122", name="缙云电商园运营有限公司")
    with factory.db.unit_of_work() as session:
        system = factory.system
        park_a = registry.create_park(session, system, name="甲入驻园区", operator_org_id=ids["operator"],
                                      division_code="331102", total_area_m2=Decimal("1000.00"))
        park_b = registry.create_park(session, system, name="乙入驻园区", operator_org_id=ids["operator"],
                                      division_code="331102", total_area_m2=Decimal("1000.00"))
        park_far = registry.create_park(session, system, name="缙云园区", operator_org_id=ids["operator_far"],
                                        division_code="331122", total_area_m2=Decimal("1000.00"))
        from datetime import date

        registry.add_tenancy(session, system, park_a.id, org_id=ids["ent_a"], move_in_date=date(2016, 1, 1),
                             leased_area_m2=Decimal("100.00"))
        registry.add_tenancy(session, system, park_b.id, org_id=ids["ent_b"], move_in_date=date(2016, 1, 1),
                             leased_area_m2=Decimal("100.00"))
        ids["park_a"], ids["park_b"], ids["park_far"] = park_a.id, park_b.id, park_far.id
        for key, org_key, division in (("person_a", "ent_a", "331102"), ("person_b", "ent_b", "331102"),
                                       ("person_far", "ent_far", "331122")):
            number = factory.resident_id(division)
            person = registry.create_person(session, system, name=f"{key}员工", id_number=number,
                                            division_code=division, org_id=ids[org_key])
            ids[key] = person.id
            secrets[f"{key}_id_number"] = number


@pytest.fixture(scope="module")
def world(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("world")
    with fresh_database(template_db, folder) as url, contextlib.ExitStack() as stack:
        settings = make_settings(url, folder)
        db = Database(settings.database_url, SettingsKeyProvider(settings.secret_key, settings.field_key))
        stack.callback(db.dispose)
        factory = Factory(db)
        w = World(create_app(settings, db), db, settings, factory, stack)
        populate(factory, w.ids, w.secrets)
        yield w
