"""Demo facts for the policy engine: believable figures for the demo registry, so a batch run finds candidates.

Deterministic (seeded): rent of the demo parks' tenants (M03), online retail of enterprises in the statistics
(M21 first inclusion, M22 growth, some just short of a step), the public service centers (M01), rural service
stations (M06), loans (M08) and cross-border postage (M12). Each measure also gets a few organisations that
miss by one condition, so the "差一点" list has something to show.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lishui.core import audit
from lishui.core.actor import Actor
from lishui.policy.facts import canonical
from lishui.policy.models import BatchRun, PolicyFact
from lishui.registry import Organisation, ParkTenancy

DEMO_YEAR = 2017
# The city pack's jurisdictions: 市直, 莲都区, 开发区 (M03, M08, M12, M21 and M22 reach only these).
CITY_SCOPE = ("331100", "331102", "331199")
NOTE = "演示数据"


@dataclass
class DemoFacts:
    year: int = DEMO_YEAR
    facts: int = 0
    organisations: set[int] = field(default_factory=set)
    run: BatchRun | None = None


def _yuan(rng: random.Random, low: int, high: int, step: int = 100) -> Decimal:
    return Decimal(rng.randrange(low // step, high // step + 1) * step)


class _Writer:
    def __init__(self, year: int, username: str) -> None:
        self.year = year
        self.username = username
        self.rows: list[dict[str, Any]] = []
        self.orgs: set[int] = set()

    def put(self, org_id: int, **facts: Any) -> None:
        self.orgs.add(org_id)
        for name, value in facts.items():
            self.rows.append({"org_id": org_id, "year": self.year, "name": name, "value": canonical(value),
                              "revision": 1, "source": "import", "note": NOTE, "recorded_by": self.username})


def _enterprises(session: Session, divisions: tuple[str, ...] | None = None) -> list[Organisation]:
    stmt = select(Organisation).where(Organisation.kind == "enterprise").order_by(Organisation.id)
    if divisions:
        stmt = stmt.where(Organisation.division_code.in_(divisions))
    return list(session.scalars(stmt))


def generate(session: Session, actor: Actor, *, year: int = DEMO_YEAR, seed: int = 20170,
             run_batch: bool = True) -> DemoFacts:
    """Write the demo facts for ``year`` (idempotent: nothing is written when the year already has facts)."""
    out = DemoFacts(year=year)
    if session.scalar(select(PolicyFact.id).where(PolicyFact.year == year).limit(1)) is not None:
        return out
    rng = random.Random(seed)
    w = _Writer(year, actor.username)
    _rent(session, rng, w, year)
    _online_retail(session, rng, w, year)
    _centers(session, rng, w)
    _stations(session, rng, w)
    _loans(session, rng, w, year)
    _cross_border(session, rng, w)
    for start in range(0, len(w.rows), 1000):
        session.execute(insert(PolicyFact), w.rows[start:start + 1000])
    out.facts, out.organisations = len(w.rows), w.orgs
    audit.record(session, actor, "policy.fact.import", object_type="policy_facts", object_id="",
                 detail={"file": "demo", "year": year, "recorded": len(w.rows), "organisations": len(w.orgs)})
    from lishui.policy import service

    service.publish_shipped(session, actor, "演示数据：发布随平台提供的政策包")
    if run_batch:
        out.run = service.run_batch(session, actor, service.resolve_pack("lishui-2015"), year)
    return out


def _rent(session: Session, rng: random.Random, w: _Writer, year: int) -> None:
    """M03: every tenant of a demo park in its first three years pays rent; some already received a part."""
    year_end = dt.date(year, 12, 31)
    tenancies = session.scalars(select(ParkTenancy).where(ParkTenancy.move_in_date <= year_end)
                                .order_by(ParkTenancy.id))
    for t in tenancies:
        tenancy_year = year - t.move_in_date.year + 1
        rent = (t.leased_area_m2 * _yuan(rng, 240, 480, 20)).quantize(Decimal("1"))
        facts: dict[str, Any] = {"annual_rent": rent, "in_cross_border_park": False}
        if tenancy_year >= 2:
            # What earlier years' subsidy paid already counts against the 50,000 lifetime cap.
            facts["received_m03_lifetime"] = min(Decimal(50_000), (rent * Decimal("0.7")).quantize(Decimal("1")))
        w.put(t.org_id, **facts)


def _online_retail(session: Session, rng: random.Random, w: _Writer, year: int) -> None:
    """M21/M22: enterprises whose online retail is in the statistics; first inclusions, growth, and near misses."""
    enterprises = [o for o in _enterprises(session, CITY_SCOPE) if "in_commerce_stats" in o.tag_set]
    for i, org in enumerate(enterprises[:90]):
        base = _yuan(rng, 2_000_000, 40_000_000, 10_000)
        if i % 6 == 0:  # first included this year: the one-off award (M21)
            w.put(org.id, online_retail_included=True, first_included_year=year, online_retail=base,
                  online_retail_base=Decimal(0))
            continue
        # Every sixth, growth just short of a full 5,000,000 step: a near miss for M22.
        short = i % 6 == 1
        growth = _yuan(rng, 1_000_000, 4_990_000, 10_000) if short else _yuan(rng, 5_000_000, 32_000_000, 10_000)
        w.put(org.id, online_retail_included=True, first_included_year=year - 1 - i % 2,
              online_retail=base + growth, online_retail_base=base)
    # A few outside the city pack's scope, so a county run finds them too (the county pack keeps M21/M22).
    for org in [o for o in _enterprises(session, ("331122",)) if "in_commerce_stats" in o.tag_set][:12]:
        base = _yuan(rng, 1_000_000, 20_000_000, 10_000)
        w.put(org.id, online_retail_included=True, first_included_year=year - 1,
              online_retail=base + _yuan(rng, 4_000_000, 16_000_000, 10_000), online_retail_base=base)


def _centers(session: Session, rng: random.Random, w: _Writer) -> None:
    """M01: the public service centers; Liandu's is the city-level one; one is not yet accepted."""
    centers = session.scalars(select(Organisation).where(Organisation.kind == "service_center")
                              .order_by(Organisation.id))
    for i, org in enumerate(centers):
        facts: dict[str, Any] = {"center_accepted": i != 3, "center_level": 2 if org.division_code == "331102" else 1,
                                 "center_ref": org.id}
        if i == 1:
            facts["provincial_m01"] = Decimal(100_000)  # the province paid part: only the difference (S4)
        w.put(org.id, **facts)


def _stations(session: Session, rng: random.Random, w: _Writer) -> None:
    """M06 (rural budget line): service-station operators with newly accepted village stations."""
    operators = session.scalars(select(Organisation).where(Organisation.kind == "station_operator")
                                .order_by(Organisation.id))
    for i, org in enumerate(operators):
        w.put(org.id, rural_stations_new_accepted=0 if i == 2 else rng.randrange(4, 40),
              rural_stations_second_year=rng.randrange(0, 20), rural_stations_third_year=rng.randrange(0, 10))


def _loans(session: Session, rng: random.Random, w: _Writer, year: int) -> None:
    """M08: bank loans of monitored e-commerce trading enterprises, interest at about the benchmark rate."""
    enterprises = [o for o in _enterprises(session, CITY_SCOPE)
                   if {"ecommerce_trading", "in_commerce_stats"} <= o.tag_set][3::5][:30]
    for org in enterprises:
        principal = _yuan(rng, 500_000, 5_000_000, 50_000)
        start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(0, 180))
        end = start + dt.timedelta(days=rng.choice((180, 270, 365)))
        interest = (principal * Decimal("0.0435") * (end - start).days / 360).quantize(Decimal("0.01"))
        w.put(org.id, loan_principal=principal, loan_start=start, loan_end=end, interest_paid=interest)


def _cross_border(session: Session, rng: random.Random, w: _Writer) -> None:
    """M12: cross-border sellers' postage; one sells just under USD 100,000 (a near miss)."""
    sellers = [o for o in _enterprises(session, CITY_SCOPE) if "cross_border" in o.tag_set][:20]
    for i, org in enumerate(sellers):
        sales = Decimal(600_000) if i == 0 else _yuan(rng, 800_000, 12_000_000, 10_000)
        w.put(org.id, cross_border_sales=sales, international_postal_fees=_yuan(rng, 20_000, 600_000))
