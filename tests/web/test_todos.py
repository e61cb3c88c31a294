"""The workspace's to-do list: each person sees what waits on them, counted within their own scope only."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from lishui.core.money import Money
from lishui.funds.models import Claim
from lishui.stats import service as stats
from tests.factories import login
from tests.stats.helpers import chain, months, retail, soon_after


def todos(app, account) -> dict[str, tuple[int, str]]:
    client = login(TestClient(app, base_url="http://127.0.0.1"), account)
    page = client.get("/")
    assert page.status_code == 200
    section = page.text.split('id="todos"', 1)[1].split("</section>", 1)[0]
    found = re.findall(r'<a href="([^"]+)"><span class="todo-count">([\d,]+)</span> <span class="todo-label">([^<]+)<',
                       section)
    return {label: (int(count.replace(",", "")), href) for href, count, label in found}


def claim(db, org: int, division: str, state: str, n: int) -> None:
    with db.unit_of_work() as session:
        session.add(Claim(org_id=org, division_code=division, measure_id="M22", measure_title="增长奖励",
                          pack_key="lishui-2015@2015.1", year=2010 + n, budget_line="general",
                          live_key=f"{org}:M22:{2010 + n}", state=state, amount=Money(100_000),
                          estimate=Money(100_000)))


def test_an_enterprise_sees_its_own_waiting_claims_and_nobody_else_s(app, db, factory):
    mine, theirs = factory.org(division="331102"), factory.org(division="331102")
    for n, state in enumerate(("candidate", "candidate", "returned")):
        claim(db, mine, "331102", state, n)
    claim(db, theirs, "331102", "candidate", 9)
    seen = todos(app, factory.account("enterprise_user", org_id=mine))
    assert seen["免申即享待确认"] == (2, "/funds/my") and seen["退回待补正的申报"] == (1, "/funds/my")
    order = list(seen)
    assert order.index("退回待补正的申报") < order.index("免申即享待确认"), "the most urgent first"
    other = factory.org(division="331102")
    seen_by_other = todos(app, factory.account("enterprise_user", org_id=other))
    assert "免申即享待确认" not in seen_by_other and "退回待补正的申报" not in seen_by_other
    assert seen_by_other["逾期未报的报表"][1] == "/stats", "its own monthly reports are owed"


def test_a_county_officer_counts_only_its_county_s_reports_to_verify(app, db, factory):
    liandu, jinyun = chain(factory, "331102"), chain(factory, "331122")
    period = months(2)[0]
    with soon_after(period):
        for c in (liandu, liandu, jinyun):
            org = factory.org(division=c.county.scope_division)
            with db.unit_of_work() as session:
                stats.submit(session, c.county, form_code="ENT_MONTHLY_RETAIL", entity_ref=org, period=period,
                             values=retail(1000))
        seen = todos(app, liandu.accounts["county"])
        assert seen["待审核的报表"] == (2, "/stats/submissions?status=submitted")
        assert todos(app, jinyun.accounts["county"])["待审核的报表"][0] == 1
        assert "待确认的报表" not in seen
