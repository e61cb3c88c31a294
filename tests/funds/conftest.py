"""Helpers for special-fund tests: a budget, the officers of each step, an enterprise with M22 facts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from lishui.core import clock
from lishui.core.actor import Actor
from lishui.core.db import Database
from lishui.core.money import Money
from lishui.funds import candidates, service
from lishui.funds.models import Claim

YEAR = 2016
M22_FACTS = {"online_retail_included": True, "first_included_year": 2015, "online_retail_base": "20000000",
             "online_retail": "25000000"}  # growth of one full step: 10,000 元
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    db: Database
    factory: object
    city: Actor  # city officer: city review, notice, budget
    reviewer: Actor  # county reviewer of 莲都区 (331102)
    approver: Actor
    finance: Actor
    uploads: Path

    def enterprise(self, *, division: str = "331102", facts: dict[str, object] | None = None,
                   bank: bool = True) -> Actor:
        f = self.factory
        org = f.org(division=division, bank_account="6228480012345678901" if bank else "",  # type: ignore[attr-defined]
                    tags=["ecommerce_trading", "in_commerce_stats"])
        f.facts(org, YEAR, **(facts if facts is not None else M22_FACTS))  # type: ignore[attr-defined]
        return f.actor(f.account("enterprise_user", org_id=org))  # type: ignore[attr-defined]

    def draft(self, applicant: Actor, measure: str = "M22", **kw: object) -> int:
        with self.db.unit_of_work() as s:
            return service.create_application(s, applicant, measure_id=measure, year=YEAR, **kw).id  # type: ignore[arg-type]

    def submitted(self, applicant: Actor, measure: str = "M22") -> int:
        claim_id = self.draft(applicant, measure)
        with self.db.unit_of_work() as s:
            for item in service.missing_evidence(s, s.get(Claim, claim_id)):  # type: ignore[arg-type]
                service.add_evidence(s, applicant, claim_id, item=item, filename="proof.pdf", data=PDF,
                                     folder=self.uploads, max_bytes=1_000_000)
            service.submit(s, applicant, claim_id)
        return claim_id

    def in_notice(self, applicant: Actor, measure: str = "M22") -> int:
        claim_id = self.submitted(applicant, measure)
        with self.db.unit_of_work() as s:
            service.prelim_pass(s, self.reviewer, claim_id)
            service.city_pass(s, self.city, claim_id)
            service.publish_notice(s, self.city, claim_ids=[claim_id])
        return claim_id

    def approved(self, applicant: Actor, measure: str = "M22") -> int:
        claim_id = self.in_notice(applicant, measure)
        with clock.shifted(dt.timedelta(days=8)), self.db.unit_of_work() as s:
            service.approve(s, self.approver, claim_id)
        return claim_id

    def end_notice(self, claim_id: int) -> None:
        """Move the claim's notice into the past (for tests that sign in, where the clock cannot be shifted)."""
        from lishui.funds.models import Notice

        with self.db.unit_of_work() as s:
            claim = s.get(Claim, claim_id)
            assert claim is not None and claim.notice_id is not None
            notice = s.get(Notice, claim.notice_id)
            assert notice is not None
            notice.starts_on = clock.today() - dt.timedelta(days=8)
            notice.ends_on = clock.today() - dt.timedelta(days=1)

    def claim(self, claim_id: int) -> Claim:
        with self.db.unit_of_work() as s:
            claim = s.get(Claim, claim_id)
            assert claim is not None
            return claim


def make_budget(db: Database, actor: Actor, general: int = 1_000_000, rural: int = 300_000) -> None:
    with db.unit_of_work() as s:
        service.create_budget(s, actor, year=YEAR, lines={("general", "city"): Money.yuan(general),
                                                          ("rural", "city"): Money.yuan(rural),
                                                          ("general", "provincial"): Money.yuan(0)})


@pytest.fixture
def world(db: Database, factory, tmp_path: Path) -> World:
    city = factory.actor(factory.account("city_officer"))
    w = World(db=db, factory=factory, city=city,
              reviewer=factory.actor(factory.account("reviewer", division="331102")),
              approver=factory.actor(factory.account("approver", division="331100")),
              finance=factory.actor(factory.account("finance_officer")), uploads=tmp_path / "evidence")
    make_budget(db, city)
    return w


__all__ = ["M22_FACTS", "PDF", "YEAR", "World", "candidates", "make_budget"]
