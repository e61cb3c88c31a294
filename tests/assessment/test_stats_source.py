"""Accepted statistics feed the assessment indicators: where statistics has accepted figures they replace the
officer-entered observations; elsewhere the observations stay."""

from __future__ import annotations

from decimal import Decimal

from lishui.assessment import indicators
from lishui.assessment.models import Observation
from tests.stats.helpers import chain
from tests.stats.test_facts import never_lock, report_year


def test_accepted_statistics_fill_what_no_officer_recorded_and_replace_public_figures(db, factory):
    never_lock(db)
    liandu, jinyun = chain(factory, "331102"), chain(factory, "331122")
    report_year(db, liandu, 2017, 150_000)  # 12 accepted months of 150,000 yuan
    report_year(db, jinyun, 2017, 10_000)
    with db.unit_of_work() as session:
        indicators.record(session, liandu.city, indicator="city_online_retail", division="331102", period="2016",
                          value="999")
        indicators.record(session, liandu.city, indicator="city_online_retail", division="331122", period="2017",
                          value="5000000")  # the statistics bureau's figure for the county: it stands
        session.add(Observation(indicator="city_online_retail", division_code="331102", period="2017", year=2017,
                                value=Decimal(7), source="public", reference="某报", recorded_by="test"))
    with db.unit_of_work() as session:
        table = indicators.value_table(session, "city_online_retail", ["331102", "331122", "331181"],
                                       ["2016", "2017", "2017Q1", "2017-03"])
    assert table[("331102", "2017")] == indicators.Value(Decimal("1800000.0000"), "stats"), "over the public one"
    assert table[("331102", "2017")].label == "统计报表汇总"
    assert table[("331102", "2017Q1")].value == Decimal("450000.0000")
    assert table[("331102", "2017-03")].value == Decimal("150000.0000")
    assert table[("331102", "2016")].value == Decimal(999) and table[("331102", "2016")].source == "entered"
    assert table[("331122", "2017")].value == Decimal(5_000_000) and table[("331122", "2017")].label == "填报"
    assert table[("331122", "2017Q1")].value == Decimal("30000.0000"), "no recorded quarter: the sum fills it"
    assert ("331181", "2017") not in table


def test_fund_money_paid_is_an_indicator_by_county_and_city(db, factory):
    from lishui.core.money import Money
    from lishui.funds.models import Claim

    with db.unit_of_work() as session:
        for org, division, state, fen in ((factory.org(division="331102"), "331102", "paid", 3_000_000),
                                          (factory.org(division="331122"), "331122", "paid", 1_000_000),
                                          (factory.org(division="331122"), "331122", "approved", 500_000)):
            session.add(Claim(org_id=org, division_code=division, measure_id="M22", measure_title="增长奖励",
                              pack_key="lishui-2015@2015.1", year=2017, budget_line="general",
                              live_key=f"{org}:M22:2017", state=state, amount=Money(fen), estimate=Money(fen)))
    with db.unit_of_work() as session:
        table = indicators.value_table(session, "funds_paid", ["331100", "331102", "331122", "331181"], ["2017"])
    assert {k: (v.value, v.source) for k, v in table.items()} == {
        ("331102", "2017"): (Decimal("30000.0000"), "funds"), ("331122", "2017"): (Decimal("10000.0000"), "funds"),
        ("331100", "2017"): (Decimal("40000.0000"), "funds")}
