"""County assessment: scheme validation and versions, attainment capped at 100%, rank points, growth,
responsibility tasks on the scorecard, ranking by score and by improvement, a county sees its own detail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from lishui.assessment import indicators, scoring, targets, tasks
from lishui.assessment.models import Task
from lishui.core.errors import NotFound, ValidationFailed


def _put(session, actor, indicator, values: dict[str, str], period: str) -> None:
    for division, value in values.items():
        indicators.record(session, actor, indicator=indicator, division=division, period=period, value=value)


def test_scheme_must_add_up_to_100_and_name_known_things(db, factory):
    with db.unit_of_work() as session:
        with pytest.raises(ValidationFailed) as exc:
            scoring.save_scheme(session, factory.system, year=2017, name="", items=[
                {"indicator": "online_shops", "weight": "60", "rule": "rank"},
                {"indicator": "nope", "weight": "30", "rule": "rank"},
                {"indicator": "online_shops", "weight": "x", "rule": "rank"}])
        assert {f.field for f in exc.value.fields} == {"items[2].indicator", "items[3].weight"}
        with pytest.raises(ValidationFailed) as exc:
            scoring.save_scheme(session, factory.system, year=2017, name="", items=[
                {"indicator": "online_shops", "weight": "60", "rule": "rank"}])
        assert "合计应为100" in exc.value.fields[0].message
        first = scoring.save_scheme(session, factory.system, year=2017, name="方案", items=[
            {"indicator": "online_shops", "weight": "100", "rule": "rank"}])
        second = scoring.save_scheme(session, factory.system, year=2017, name="方案", items=[
            {"indicator": "online_shops", "weight": "50", "rule": "rank"},
            {"indicator": "tasks", "weight": "50", "rule": "tasks"}])
        current, items = scoring.current_scheme(session, 2017)
    assert (first.version, second.version) == (1, 2) and current is not None and current.version == 2
    assert [i.rule for i in items] == ["rank", "tasks"]


def test_scorecards_rank_and_cap_and_count_tasks(db, factory):
    system = factory.system
    factory.org(kind="government", division="331102", name="莲都区商务局")
    factory.org(kind="government", division="331122", name="缙云县商务局")
    pack = targets.default_pack()
    with db.unit_of_work() as session:
        scoring.save_scheme(session, system, year=2017, name="", items=[
            {"indicator": "rural_stations", "weight": "40", "rule": "attainment"},
            {"indicator": "online_shops", "weight": "20", "rule": "rank"},
            {"indicator": "online_shops", "weight": "20", "rule": "growth"},
            {"indicator": "tasks", "weight": "20", "rule": "tasks"}])
        for division, goal in (("331102", "200"), ("331122", "300")):
            targets.set_breakdown(session, system, pack, target_id="T5a", division=division, value=goal)
        _put(session, system, "rural_stations", {"331102": "250", "331122": "150"}, "2017")
        _put(session, system, "online_shops", {"331102": "900", "331122": "1000"}, "2017")
        _put(session, system, "online_shops", {"331102": "450", "331122": "800"}, "2016")
        tasks.generate(session, system, pack_key="lishui-2015", year=2017, due_on=dt.date(2017, 6, 30))
        jinyun = session.scalars(select(Task).where(Task.division_code == "331122")).all()
        for task in jinyun:
            task.status, task.grade, task.closed_on = "closed", "A", dt.date(2017, 6, 1)
    with db.unit_of_work() as session:
        cards = {c.division: c for c in scoring.compute(session, 2017)}
        by_improvement = scoring.ranking(session, 2017, "improvement")
    liandu, jy = cards["331102"], cards["331122"]
    lines = {(line.item.indicator, line.item.rule): line for line in liandu.lines}
    # attainment capped at 100% (250 of 200), Jinyun 50% (150 of 300)
    assert lines[("rural_stations", "attainment")].points == Decimal("40.00")
    assert {(x.item.indicator, x.item.rule): x for x in jy.lines}[("rural_stations", "attainment")].points == \
        Decimal("20.00")
    # rank among 10 jurisdictions: Jinyun first (20), Liandu second (18)
    rank = lines[("online_shops", "rank")]
    assert rank.points == Decimal("18.00") and rank.note == "第2名"
    # growth: Liandu +100% first, Jinyun +25% second
    assert lines[("online_shops", "growth")].points == Decimal("20.00")
    # tasks: Liandu's tasks are overdue (deadline passed, open): 0; Jinyun closed A on time: full
    assert lines[("tasks", "tasks")].points == Decimal("0.00") and "逾期" in lines[("tasks", "tasks")].note
    assert {(x.item.indicator, x.item.rule): x for x in jy.lines}[("tasks", "tasks")].points == Decimal("20.00")
    assert liandu.total == Decimal("78.00") and jy.total == Decimal("78.00")
    others = [c for c in cards.values() if c.division not in ("331102", "331122")]
    assert all(c.total == Decimal("0.00") for c in others)  # no data, and their generated tasks are overdue
    assert liandu.rank == jy.rank == 1 and all(c.rank == 3 for c in others)  # equal totals share a rank
    assert by_improvement[0].division in ("331102", "331122")


def test_a_county_officer_sees_only_its_own_scorecard(db, factory, client):
    from tests.factories import login

    gov = factory.org(kind="government", division="331102", name="莲都区商务局")
    account = factory.account("county_officer", org_id=gov)
    actor = factory.actor(account)
    with db.unit_of_work() as session:
        assert scoring.scorecard(session, actor, 2017, "331102").division == "331102"
        with pytest.raises(NotFound):
            scoring.scorecard(session, actor, 2017, "331122")
    login(client, account)
    assert client.get("/assessment/scorecards/detail?year=2017&division=331122").status_code == 404
    page = client.get("/assessment/scorecards/detail?year=2017")
    assert page.status_code == 200 and "莲都区" in page.text
    ranking = client.get("/assessment/scorecards?year=2017")
    assert "division=331102" in ranking.text and "division=331122" not in ranking.text
    token = factory.token(account)
    api = client.get("/api/v1/assessment/scorecards?year=2017", headers={"Authorization": f"Bearer {token}"}).json()
    assert len(api) == 10 and all(bool(c["lines"]) == (c["division_code"] == "331102") for c in api)


def test_scheme_page_saves_a_version(client, db, factory):
    from tests.conftest import csrf_from
    from tests.factories import login

    login(client, factory.account("city_officer"))
    page = client.get("/assessment/scheme?year=2017")
    assert page.status_code == 200
    bad = client.post("/assessment/scheme", data={"year": "2017", "csrf_token": csrf_from(page.text),
                                                  "indicator": ["online_shops"], "weight": ["50"], "rule": ["rank"]})
    assert bad.status_code == 422 and "合计应为100" in bad.text
    ok = client.post("/assessment/scheme", data={"year": "2017", "csrf_token": csrf_from(page.text),
                                                 "indicator": ["online_shops", "tasks"], "weight": ["70", "30"],
                                                 "rule": ["rank", "tasks"]}, follow_redirects=False)
    assert ok.status_code == 303
    assert "网店数量 70" in client.get("/assessment/scorecards?year=2017").text
