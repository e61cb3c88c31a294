"""The policy engine's facts from accepted statistics: complete years only, accepted revisions only, traceable."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from lishui.policy import service as policy
from lishui.stats import facts, imports, service
from lishui.stats.models import StatsForm, StatsSubmission
from tests.stats.helpers import chain
from tests.stats.test_imports import csv_bytes, uscc_of

FORM = "ENT_MONTHLY_RETAIL"


def never_lock(db, code: str = FORM) -> None:
    with db.unit_of_work() as session:
        session.scalar(select(StatsForm).where(StatsForm.code == code)).lock_days = None


def report_year(db, c, year: int, monthly: int, months: range = range(1, 13)) -> None:
    """Twelve (or the given) months of an enterprise, uploaded by its county, verified and accepted."""
    code = uscc_of(db, c.enterprise_org)
    rows = [[code, f"{year}-{m:02d}", monthly, monthly, 0, 0] for m in months]
    with db.unit_of_work() as session:
        assert imports.import_file(session, c.county, FORM, csv_bytes(rows)).ok
    approve_all(db, c)


def approve_all(db, c) -> None:
    with db.unit_of_work() as session:
        for sub_id in session.scalars(select(StatsSubmission.id).where(StatsSubmission.status == "submitted")):
            service.verify(session, c.county, sub_id)
            service.accept(session, c.city, sub_id, note="核实无误")


def provided(db, org_id: int, year: int) -> dict:
    with db.unit_of_work() as session:
        return facts.StatsFacts().provide(session, [org_id], year).get(org_id, {})


def test_online_retail_of_the_year_and_the_base_come_from_accepted_complete_years(db, factory):
    never_lock(db)
    c = chain(factory)
    report_year(db, c, 2016, 800_000)
    report_year(db, c, 2017, 1_300_000, range(1, 12))
    got = provided(db, c.enterprise_org, 2017)
    assert "online_retail" not in got, "eleven months are not a year"
    assert got["online_retail_base"] == Decimal("9600000.00")
    assert got["online_retail_highest_prior"] == Decimal("9600000.00")
    report_year(db, c, 2017, 1_300_000, range(12, 13))
    got = provided(db, c.enterprise_org, 2017)
    assert got["online_retail"] == Decimal("15600000.00")
    with db.unit_of_work() as session:
        where = facts.sources(session, c.enterprise_org, 2017)
    assert len(where["online_retail"]) == 12 and all(s.endswith("#1") for s in where["online_retail"])


def test_a_correction_counts_only_once_accepted_and_the_source_names_its_revision(db, factory):
    never_lock(db)
    c = chain(factory)
    report_year(db, c, 2017, 100_000)
    with db.unit_of_work() as session:
        december = session.scalar(select(StatsSubmission).where(StatsSubmission.period == "2017-12"))
        service.correct(session, c.enterprise, december.id, reason="漏报退货冲减",
                        values={"online_retail": "40000", "physical_goods": "40000", "non_physical_goods": "0",
                                "agricultural_retail": "0"})
    assert provided(db, c.enterprise_org, 2017)["online_retail"] == Decimal("1200000.00")
    approve_all(db, c)
    assert provided(db, c.enterprise_org, 2017)["online_retail"] == Decimal("1140000.00")
    with db.unit_of_work() as session:
        assert f"{december.id}#2" in facts.sources(session, c.enterprise_org, 2017)["online_retail"]


def test_first_inclusion_makes_m21_and_growth_makes_m22_candidates_from_the_statistics_alone(db, factory):
    never_lock(db)
    first, grower = chain(factory), chain(factory)
    with db.unit_of_work() as session:
        service.submit(session, first.county, form_code="STATS_INCLUSION", entity_ref=str(first.enterprise_org),
                       period="2017", values={"included": "是", "first_included_year": "2017"})
        service.submit(session, grower.county, form_code="STATS_INCLUSION", entity_ref=str(grower.enterprise_org),
                       period="2017", values={"included": "是", "first_included_year": "2015"})
    approve_all(db, first)
    report_year(db, grower, 2016, 1_000_000)
    report_year(db, grower, 2017, 2_000_000)
    with db.unit_of_work() as session:
        _, _, m21 = policy.evaluate_org(session, first.city, first.enterprise_org, 2017, measure_id="M21")
        _, entity, m22 = policy.evaluate_org(session, grower.city, grower.enterprise_org, 2017, measure_id="M22")
    assert m21[0].status == "eligible", m21[0]
    assert entity.facts["online_retail"] == Decimal("24000000.00")
    assert m22[0].status == "eligible" and m22[0].amount > 0, m22[0]


def test_nothing_is_said_about_an_enterprise_without_accepted_figures(db, factory):
    never_lock(db)
    c = chain(factory)
    code = uscc_of(db, c.enterprise_org)
    with db.unit_of_work() as session:
        imports.import_file(session, c.county, FORM, csv_bytes([[code, f"2017-{m:02d}", 5, 5, 0, 0]
                                                                 for m in range(1, 13)]))
    assert provided(db, c.enterprise_org, 2017) == {}, "submitted but not accepted: not a fact yet"
