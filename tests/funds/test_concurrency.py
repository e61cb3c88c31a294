"""50 concurrent approvals against a budget line that funds 10: real concurrent connections on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from lishui.core import clock
from lishui.core.money import Money
from lishui.funds import ledger, service
from lishui.funds.models import Claim, Notice
from lishui.registry import Organisation
from tests.conftest import IS_PG
from tests.funds.conftest import YEAR, make_budget

M22_ANSWERS = {"online_retail_included": True, "first_included_year": 2015, "online_retail_base": "20000000",
               "online_retail": "25000000"}

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not IS_PG, reason="needs PostgreSQL (LISHUI_DATABASE_URL=postgresql+psycopg://...)")]


def _claims_in_notice(db, factory, count: int) -> list[int]:
    """``count`` claims of 10,000 元 each, of distinct enterprises, whose notice has ended."""
    with db.unit_of_work() as s:
        notice = Notice(title="并发测试", starts_on=clock.today() - dt.timedelta(days=8),
                        ends_on=clock.today() - dt.timedelta(days=1), created_by="tests")
        s.add(notice)
        s.flush()
        ids = []
        for i in range(count):
            org = Organisation(uscc=factory.uscc(), name=f"并发测试企业{i}", kind="enterprise",
                               division_code="331102")
            s.add(org)
            s.flush()
            claim = Claim(org_id=org.id, division_code="331102", measure_id="M22", measure_title="网络零售额增长奖励",
                          pack_key="lishui-2015@2015.1", year=YEAR, budget_line="general",
                          live_key=f"{org.id}:M22:{YEAR}", state="notice", amount=Money.yuan(10000),
                          estimate=Money.yuan(10000), facts_json=json.dumps(M22_ANSWERS), notice_id=notice.id)
            s.add(claim)
            s.flush()
            ids.append(claim.id)
        return ids


def test_fifty_concurrent_approvals_for_ten_fundable(db, factory):
    city = factory.actor(factory.account("city_officer"))
    approver = factory.actor(factory.account("approver", division="331100"))
    make_budget(db, city, general=100_000)  # funds exactly 10 claims of 10,000 元
    with db.unit_of_work() as s:
        pack_key = service.policy.pack_key(service.policy.pack_in_force(YEAR, "331102"))
    claim_ids = _claims_in_notice(db, factory, 50)
    with db.unit_of_work() as s:
        for claim_id in claim_ids:
            s.get(Claim, claim_id).pack_key = pack_key  # type: ignore[union-attr]
    barrier = threading.Barrier(len(claim_ids))
    outcomes: dict[int, str] = {}
    lock = threading.Lock()

    def approve(claim_id: int) -> None:
        barrier.wait()
        try:
            with db.unit_of_work() as s:
                service.approve(s, approver, claim_id)
            result = "approved"
        except service.BudgetExhausted as exc:
            result = "exhausted" if "budget line exhausted" in exc.message else f"other: {exc}"
        except Exception as exc:  # anything else is a failure of the test
            result = f"error: {type(exc).__name__}: {exc}"
        with lock:
            outcomes[claim_id] = result

    threads = [threading.Thread(target=approve, args=(c,)) for c in claim_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    results = list(outcomes.values())
    assert len(results) == 50
    assert results.count("approved") == 10, results
    assert results.count("exhausted") == 40, results
    with db.unit_of_work() as s:
        line = service.line_for(s, YEAR, "general")
        assert line is not None
        assert line.committed == Money.yuan(100_000) and line.available == Money(0)
        report = ledger.reconcile(s, YEAR)
        assert report.ok, report.problems
        assert s.query(Claim).filter(Claim.state == "approved").count() == 10
