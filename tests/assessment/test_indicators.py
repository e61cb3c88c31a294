"""Indicator observations (revisions, import all-or-nothing, public figures), sources, targets and forecasts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lishui.assessment import indicators, targets
from lishui.assessment.models import Observation
from lishui.core.errors import Forbidden, ValidationFailed
from lishui.core.tabular import write_xlsx


def test_a_correction_adds_a_revision_and_keeps_the_old_value(db, factory):
    system = factory.system
    with db.unit_of_work() as session:
        first = indicators.record(session, system, indicator="rural_stations", division="331122", period="2016",
                                  value="300")
        same = indicators.record(session, system, indicator="rural_stations", division="331122", period="2016",
                                 value="300")
        second = indicators.record(session, system, indicator="rural_stations", division="331122", period="2016",
                                   value="320", note="更正")
        history = indicators.history(session, system, indicator="rural_stations", division="331122", period="2016")
        table = indicators.value_table(session, "rural_stations", ["331122"], ["2016"])
    assert first is not None and same is None and second is not None and second.revision == 2
    assert [h.value for h in history] == [Decimal(300), Decimal(320)]
    assert table[("331122", "2016")].value == Decimal(320) and table[("331122", "2016")].revision == 2


@pytest.mark.parametrize(("field", "kwargs"), [
    ("value", {"value": "-5"}), ("value", {"value": "abc"}), ("period", {"period": "2999"}),
    ("period", {"period": "2017Q5"}), ("division", {"division": "999999"}), ("indicator", {"indicator": "nope"}),
])
def test_bad_values_name_the_field(db, factory, field, kwargs):
    values = {"indicator": "rural_stations", "division": "331122", "period": "2016", "value": "1", **kwargs}
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as exc:
        indicators.record(session, factory.system, **values)
    assert field in {f.field for f in exc.value.fields}


def test_county_officer_records_only_its_own_county(db, factory):
    gov = factory.org(kind="government", division="331102", name="莲都区商务局")
    actor = factory.actor(factory.account("county_officer", org_id=gov))
    with db.unit_of_work() as session:
        assert indicators.record(session, actor, indicator="online_shops", division="331102", period="2016",
                                 value="10") is not None
    with db.unit_of_work() as session, pytest.raises(Forbidden):
        indicators.record(session, actor, indicator="online_shops", division="331122", period="2016", value="10")


def test_import_is_all_or_nothing_with_row_and_column_errors(db, factory):
    rows = [["rural_stations", "331122", "2016", "300", ""], ["rural_stations", "331122", "2016", "310", ""],
            ["online_shops", "331102", "2016", "十", ""], ["online_shops", "331102", "2016-13", "-1", ""],
            ["city_online_retail", "331100", "2999", "1", ""]]
    content = write_xlsx(list(indicators.COLUMNS), rows)
    with db.unit_of_work() as session:
        report = indicators.import_observations(session, factory.system, content, "bad.xlsx")
        session.rollback()
    found = {(e.row, e.field) for e in report.errors}
    assert {(3, "指标"), (4, "数值"), (5, "期间"), (5, "数值"), (6, "期间")} <= found
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 0
    good = "指标,地区代码,期间,数值\nrural_stations,331122,2016,300\ncity_online_retail,331100,2016Q4,1500000000\n"
    with db.unit_of_work() as session:
        report = indicators.import_observations(session, factory.system, good.encode(), "ok.csv")
    assert report.ok and report.recorded == 2
    with db.unit_of_work() as session:
        again = indicators.import_observations(session, factory.system, good.encode(), "ok.csv")
    assert again.recorded == 0 and again.unchanged == 2
    wrong_columns = "指标,地区,期间,数值\n".encode()
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as exc:
        indicators.import_observations(session, factory.system, wrong_columns, "cols.csv")
    assert {f.field for f in exc.value.fields} >= {"地区代码", "地区"}


def test_public_figures_load_once_and_are_labelled(db, factory):
    with db.unit_of_work() as session:
        added = indicators.load_public_figures(session, factory.system)
        again = indicators.load_public_figures(session, factory.system)
        shops = indicators.value_table(session, "online_shops", ["331100"], ["2014"])[("331100", "2014")]
        villages = indicators.value_table(session, "taobao_villages", ["331122"], ["2019"])[("331122", "2019")]
    assert added == len(indicators.PUBLIC_FIGURES) and again == 0
    assert shops.value == 8349 and shops.is_public and "小康" in shops.reference
    assert villages.value == 11


def test_a_registered_source_takes_precedence(db, factory):
    class Stats:
        name = "test-stats"
        provides = frozenset({"online_shops"})

        def values(self, session, indicator, divisions, periods):
            return {(d, p): indicators.Value(Decimal(42), "stats") for d in divisions for p in periods}

    with db.unit_of_work() as session:
        indicators.load_public_figures(session, factory.system)
    registered = list(indicators._SOURCES)
    indicators.register_source(Stats())
    try:
        with db.unit_of_work() as session:
            found = indicators.value_table(session, "online_shops", ["331100"], ["2014"])
        assert found[("331100", "2014")].value == 42 and found[("331100", "2014")].source == "stats"
    finally:
        indicators._SOURCES[:] = registered  # the statistics and funds sources stay registered


def test_target_progress_trajectory_and_forecast(db, factory):
    pack = targets.default_pack()
    system = factory.system
    with db.unit_of_work() as session:
        indicators.load_public_figures(session, system)
        # rural stations: 569 in 2014 → 1,700 in 2016: the trend reaches 2,831 by 2018 (goal 2,500): on track
        indicators.record(session, system, indicator="rural_stations", division="331100", period="2016",
                          value="1700")
        # online retail: 3.8bn in 2014 → 6bn in 2016: forecast 8.2bn against 20bn: off track
        indicators.record(session, system, indicator="city_online_retail", division="331100", period="2016",
                          value="6000000000")
        rows = {p.target.id: p for p in targets.progress(session, pack, "331100", 2016)}
    rural = rows["T5a"]
    assert rural.baseline == (2014, Decimal(569)) and rural.latest == (2016, Decimal(1700))
    assert rural.expected == Decimal(569) + (Decimal(2500) - 569) * 2 / 4
    assert rural.forecast == Decimal(2831) and rural.status == "on_track"
    assert rows["T2"].status == "off_track" and rows["T2"].forecast == Decimal("8200000000")
    assert rows["T6a"].status == "achieved" or rows["T6a"].latest is None or rows["T6a"].latest[0] <= 2016
    assert rows["T1a"].status == "no_data"
    assert rows["T4"].status == "no_data"


def test_county_breakdown_is_the_goal_of_the_county(db, factory):
    pack = targets.default_pack()
    system = factory.system
    with db.unit_of_work() as session:
        targets.set_breakdown(session, system, pack, target_id="T5a", division="331122", value="300")
        with pytest.raises(ValidationFailed):
            targets.set_breakdown(session, system, pack, target_id="T5a", division="331100", value="300")
        indicators.record(session, system, indicator="rural_stations", division="331122", period="2015",
                          value="100")
        indicators.record(session, system, indicator="rural_stations", division="331122", period="2016",
                          value="180")
        rows = {p.target.id: p for p in targets.progress(session, pack, "331122", 2016)}
        other = {p.target.id: p for p in targets.progress(session, pack, "331102", 2016)}
    assert rows["T5a"].goal == 300 and rows["T5a"].forecast == Decimal(340) and rows["T5a"].status == "on_track"
    assert rows["T5a"].percent == 60
    assert other["T5a"].status == "no_target"


def test_yes_no_target():
    target = targets.find(targets.default_pack(), "T7a")
    done = targets._assess(target, "331100", Decimal(1), [(2017, indicators.Value(Decimal(1), "entered"))])
    late = targets._assess(target, "331100", Decimal(1), [(2018, indicators.Value(Decimal(0), "entered"))])
    assert done.status == "achieved" and late.status == "off_track"


def test_pages_and_api(client, db, factory):
    from tests.conftest import csrf_from
    from tests.factories import login

    officer = factory.account("city_officer")
    login(client, officer)
    page = client.get("/assessment/indicators")
    resp = client.post("/assessment/indicators", data={"indicator": "rural_stations", "division": "331100",
                                                       "period": "2016", "value": "-3",
                                                       "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 422 and "不能为负数" in resp.text
    resp = client.post("/assessment/indicators", data={"indicator": "rural_stations", "division": "331100",
                                                       "period": "2016", "value": "900",
                                                       "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 200 and "900" in resp.text
    upload = client.post("/assessment/indicators/import", data={"csrf_token": csrf_from(page.text)},
                         files={"file": ("x.csv", "指标,地区代码,期间,数值\nonline_shops,331100,2016,abc\n".encode(),
                                         "text/csv")})
    assert upload.status_code == 422 and "不是数字" in upload.text
    targets_page = client.get("/assessment/targets")
    assert targets_page.status_code == 200 and "T5a" in targets_page.text
    token = factory.token(officer)
    auth = {"Authorization": f"Bearer {token}"}
    api = client.get("/api/v1/assessment/targets?division=331100", headers=auth).json()
    assert {r["target"] for r in api} >= {"T2", "T5a", "T7d"}
    created = client.post("/api/v1/assessment/observations", headers=auth, json={
        "indicator": "online_shops", "division_code": "331102", "period": "2016", "value": "1200"})
    assert created.status_code == 201 and created.json()["revision"] == 1
    hist = client.get("/api/v1/assessment/observations?indicator=online_shops&division=331102&period=2016",
                      headers=auth).json()
    assert [h["value"] for h in hist] == ["1200.0000"]
    assert dt.date.today().year >= 2016
