"""Indicators from accepted figures: sums by county and city, growth on the year before, stocks and shares,
the page, the export (audited), and the county's own scope."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from lishui.core.audit import AuditRecord
from lishui.stats import indicators, service
from lishui.stats.models import StatsTotal
from tests.factories import login
from tests.stats.helpers import chain
from tests.stats.test_facts import approve_all, never_lock, report_year


def test_online_retail_adds_up_by_county_and_city_with_growth(db, factory):
    never_lock(db)
    liandu, jinyun = chain(factory, "331102"), chain(factory, "331122")
    report_year(db, liandu, 2016, 100_000)
    report_year(db, liandu, 2017, 150_000)
    report_year(db, jinyun, 2017, 50_000, range(1, 4))
    with db.unit_of_work() as session:
        table = indicators.compute(session, liandu.city, indicator="online_retail", year=2017, granularity="quarter")
    rows = {r.division_code: r for r in table.rows}
    assert table.columns == ["2017-Q1", "2017-Q2", "2017-Q3", "2017-Q4"]
    assert rows["331102"].values["2017-Q1"] == Decimal(45)  # 3 × 150,000 yuan = 45 万元
    assert rows["331102"].growth["2017-Q1"] == Decimal("50.0")
    assert rows["331122"].values["2017-Q1"] == Decimal(15) and rows["331122"].growth["2017-Q1"] is None
    assert rows["331122"].values["2017-Q2"] is None
    assert rows["331100"].values["2017-Q1"] == Decimal(60) and table.rows[0].division_code == "331100"
    with db.unit_of_work() as session:
        county_view = indicators.compute(session, liandu.county, indicator="online_retail", year=2017,
                                         granularity="year")
    assert [r.division_code for r in county_view.rows] == ["331102"]
    assert county_view.rows[0].values["2017"] == Decimal(180)


def test_several_years_at_once_give_what_the_table_of_each_year_shows(db, factory):
    never_lock(db)
    liandu, jinyun = chain(factory, "331102"), chain(factory, "331122")
    report_year(db, liandu, 2015, 80_000)
    report_year(db, liandu, 2017, 150_000)
    report_year(db, jinyun, 2017, 50_000, range(1, 4))
    for actor in (liandu.city, liandu.county):
        for granularity in ("month", "quarter", "year"):
            with db.unit_of_work() as session:
                together = indicators.values_over(session, actor, indicator="online_retail",
                                                  years={2015, 2016, 2017}, granularity=granularity)
                one_by_one = {(r.division_code, col): v for year in (2015, 2016, 2017)
                              for r in indicators.compute(session, actor, indicator="online_retail", year=year,
                                                          granularity=granularity).rows
                              for col, v in r.values.items() if v is not None}
            assert together == one_by_one and together
    assert together[("331102", "2015")] == Decimal(96) and ("331100", "2015") not in together  # county scope


def test_a_correction_changes_the_indicator_only_once_accepted(db, factory):
    never_lock(db)
    c = chain(factory)
    report_year(db, c, 2017, 100_000, range(1, 2))
    with db.unit_of_work() as session:
        sub = service.list_submissions(session, c.city, service.SubmissionFilter())[0][0]
        service.correct(session, c.enterprise, sub.id, reason="更正", values={
            "online_retail": "300000", "physical_goods": "300000", "non_physical_goods": "0",
            "agricultural_retail": "0"})

    def january() -> Decimal | None:
        with db.unit_of_work() as session:
            table = indicators.compute(session, c.city, indicator="online_retail", year=2017, granularity="month")
        return table.rows[0].values["2017-01"]

    assert january() == Decimal(10)
    approve_all(db, c)
    assert january() == Decimal(30)


def test_county_shares_and_stocks(db, factory):
    never_lock(db, "COUNTY_QUARTERLY")
    c = chain(factory)
    with db.unit_of_work() as session:
        for code, above, applying, villages in (("331102", 100, 40, 2), ("331122", 50, 35, 11)):
            service.submit(session, c.city, form_code="COUNTY_QUARTERLY", entity_ref=code, period="2026-Q2",
                           values={"villages": 100, "villages_broadband": 100, "villages_4g": 90,
                                   "free_wifi_sites": 10, "above_size_enterprises": above,
                                   "above_size_applying_ecommerce": applying, "ecommerce_villages": villages,
                                   "ecommerce_towns": 1})
    second = factory.actor(factory.account("city_officer"))
    with db.unit_of_work() as session:
        for sub in service.list_submissions(session, c.city, service.SubmissionFilter())[0]:
            service.verify(session, c.city, sub.id)
            service.accept(session, second, sub.id)
    with db.unit_of_work() as session:
        share = indicators.compute(session, c.city, indicator="above_size_share", year=2026, granularity="year")
        villages = indicators.compute(session, c.city, indicator="ecommerce_villages", year=2026,
                                      granularity="quarter")
    rows = {r.division_code: r for r in share.rows}
    assert rows["331102"].values["2026"] == Decimal(40) and rows["331122"].values["2026"] == Decimal(70)
    assert rows["331100"].values["2026"] == Decimal(50)  # 75 of 150
    assert {r.division_code: r.values["2026-Q2"] for r in villages.rows}["331100"] == Decimal(13)
    with db.unit_of_work() as session:
        assert indicators.values_over(session, c.city, indicator="above_size_share", years=[2025, 2026],
                                      granularity="year") == {("331100", "2026"): Decimal(50),
                                                              ("331102", "2026"): Decimal(40),
                                                              ("331122", "2026"): Decimal(70)}


def test_the_indicator_page_and_its_audited_export(app, factory, db):
    never_lock(db)
    c = chain(factory)
    report_year(db, c, 2017, 100_000, range(1, 3))
    client = login(TestClient(app, base_url="http://127.0.0.1"), c.accounts["city"])
    page = client.get("/stats/indicators?indicator=online_retail&year=2017&granularity=year")
    assert page.status_code == 200 and 'id="indicator-table"' in page.text and "20.00" in page.text
    resp = client.get("/stats/indicators/export?indicator=online_retail&year=2017&granularity=month&format=xlsx")
    assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]
    with db.unit_of_work() as session:
        record = session.scalar(select(AuditRecord).where(AuditRecord.event == "stats.indicator.export"))
        assert record is not None and '"rows":11' in record.detail.replace(" ", "")


def test_running_totals_match_a_rebuild_from_the_figures(db, factory):
    never_lock(db)
    a, b = chain(factory, "331102"), chain(factory, "331102")
    report_year(db, a, 2017, 70_000, range(1, 4))
    report_year(db, b, 2017, 30_000, range(2, 5))
    with db.unit_of_work() as session:
        sub = service.list_submissions(session, a.city, service.SubmissionFilter(period="2017-02"))[0][0]
        service.correct(session, a.enterprise if sub.org_id == a.enterprise_org else b.enterprise, sub.id,
                        reason="更正", values={"online_retail": "1", "physical_goods": "1", "non_physical_goods": "0",
                                             "agricultural_retail": "0"})
    approve_all(db, a)

    def totals() -> set[tuple]:
        with db.unit_of_work() as session:
            return {(t.form_id, t.field_key, t.division_code, t.period_start, Decimal(t.total), t.reports)
                    for t in session.scalars(select(StatsTotal)) if t.reports}

    running = totals()
    with db.unit_of_work() as session:
        assert service.rebuild_totals(session) > 0
    assert running == totals()
