"""Marketplace fixtures: a verified provider with an offering, an enterprise, their actors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from lishui.core import clock
from lishui.core.actor import Actor, system_actor
from lishui.marketplace import service
from tests.factories import Account, Factory


@dataclass
class Party:
    account: Account
    actor: Actor
    provider_id: int = 0


class Market:
    def __init__(self, db, factory: Factory) -> None:
        self.db = db
        self.factory = factory
        self.center = system_actor("center")

    def enterprise(self, division: str = "331102", name: str | None = None) -> Party:
        org = self.factory.org(division=division, name=name)
        account = self.factory.account("enterprise_user", org_id=org)
        return Party(account, self.factory.actor(account))

    def provider(self, *, category: str = "store_operation", title: str = "天猫店铺代运营",
                 description: str = "店铺装修、日常运营、活动策划", price_min: str = "10000", price_max: str = "50000",
                 counties: str = "", verify: bool = True, name: str | None = None, capacity: int = 5) -> Party:
        org = self.factory.org(kind="service_provider", name=name)
        account = self.factory.account("provider_user", org_id=org)
        actor = self.factory.actor(account)
        with self.db.unit_of_work() as session:
            p = service.apply_as_provider(session, actor, display_name=name or f"服务商{org}", kind=category,
                                          introduction="专业电商服务", documents="营业执照", capacity=capacity)
            pid = p.id
            if verify:
                service.review_provider(session, self.center, pid, approve=True)
        if verify:
            with self.db.unit_of_work() as session:
                service.create_offering(session, actor, category=category, title=title, description=description,
                                        price_min=price_min, price_max=price_max, counties=counties)
        return Party(account, actor, pid)

    def demand(self, party: Party, *, category: str = "store_operation", title: str = "需要天猫店铺代运营",
               description: str = "主营龙泉青瓷，希望提升天猫店铺运营", budget: str = "30000",
               private: bool = False, invite: list[int] | None = None) -> int:
        with self.db.unit_of_work() as session:
            d = service.create_demand(session, party.actor, category=category, title=title, description=description,
                                      budget=budget, deadline=clock.today() + timedelta(days=30),
                                      is_private=private, invite=invite)
            return d.id


@pytest.fixture(scope="module", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """Accounts are made by the dozen here: hash their passwords cheaply (the cost is tested elsewhere)."""
    from argon2 import PasswordHasher

    from lishui.identity import passwords

    production = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = production


@pytest.fixture
def market(db, factory) -> Market:
    return Market(db, factory)
