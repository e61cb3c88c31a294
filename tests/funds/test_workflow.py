"""The claim's journey and every refusal on the way: service level."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from lishui.core import clock
from lishui.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from lishui.core.money import Money
from lishui.funds import ledger, service
from lishui.funds.models import BudgetLine, ClaimEvent, JournalEntry, Notification
from tests.funds.conftest import PDF, YEAR


def test_application_estimate_explanation_and_missing_evidence(world):
    ent = world.enterprise()
    claim_id = world.draft(ent)
    claim = world.claim(claim_id)
    assert claim.state == "draft"
    assert claim.estimate == Money.yuan(10000) and claim.amount == Money.yuan(10000)
    assert "M22" in claim.explanation and "10,000.00" in claim.explanation
    with pytest.raises(ValidationFailed) as err, world.db.unit_of_work() as s:
        service.submit(s, ent, claim_id)
    assert "缺少申报材料" in err.value.message
    assert "统计部门核定的本年度及上年度网络零售额" in err.value.message


def test_amount_above_estimate_needs_a_reason(world):
    ent = world.enterprise()
    with pytest.raises(ValidationFailed) as err, world.db.unit_of_work() as s:
        service.create_application(s, ent, measure_id="M22", year=YEAR, amount=Money.yuan(20000))
    assert err.value.fields[0].field == "amount_reason"
    with world.db.unit_of_work() as s:
        claim = service.create_application(s, ent, measure_id="M22", year=YEAR, amount=Money.yuan(20000),
                                           amount_reason="统计局补报数据后增长更多")
        assert claim.amount == Money.yuan(20000)


def test_second_claim_same_entity_measure_period_names_the_first(world):
    ent = world.enterprise()
    first = world.draft(ent)
    with pytest.raises(Conflict) as err, world.db.unit_of_work() as s:
        service.create_application(s, ent, measure_id="M22", year=YEAR)
    assert f"#{first}" in err.value.message


def test_evidence_type_is_judged_from_content(world):
    ent = world.enterprise()
    claim_id = world.draft(ent)
    from lishui.core.files import UnsupportedFile

    with pytest.raises(UnsupportedFile), world.db.unit_of_work() as s:
        service.add_evidence(s, ent, claim_id, item="统计部门核定的本年度及上年度网络零售额", filename="x.pdf",
                             data=b"<html><script>alert(1)</script></html>\x00", folder=world.uploads,
                             max_bytes=10_000)
    with world.db.unit_of_work() as s:
        ev = service.add_evidence(s, ent, claim_id, item="统计部门核定的本年度及上年度网络零售额", filename="a.pdf",
                                  data=PDF, folder=world.uploads, max_bytes=10_000)
        assert ev.kind == "pdf" and len(ev.sha256) == 64
        assert (world.uploads / ev.stored_name).read_bytes() == PDF


def test_full_journey_commits_against_the_line(world):
    ent = world.enterprise()
    claim_id = world.approved(ent)
    claim = world.claim(claim_id)
    assert claim.state == "approved" and claim.line_id is not None
    assert claim.city_part.fen + claim.county_part.fen == claim.amount.fen
    with world.db.unit_of_work() as s:
        line = s.get(BudgetLine, claim.line_id)
        assert line.committed == Money.yuan(10000)
        assert line.available == Money.yuan(1_000_000 - 10000)
        actions = [e.action for e in service.history(s, world.city, claim_id)]
        assert actions == ["create", "evidence", "submit", "prelim_pass", "city_pass", "notice", "approve"]
        notes = s.scalars(select(Notification).where(Notification.claim_id == claim_id)).all()
        assert len(notes) == len(actions)
        assert ledger.reconcile(s, YEAR).ok
    assert claim.due_on is not None and claim.submitted_on is not None


def test_countdown_counts_working_days_with_the_holiday_calendar(world):
    from lishui.funds import calendar

    with world.db.unit_of_work() as s:
        start = dt.date(2026, 9, 30)  # a Wednesday
        plain = calendar.add_working_days(s, start, 5)
        assert plain == dt.date(2026, 10, 7)
        for d in range(1, 8):
            calendar.set_holiday(s, world.city, day=dt.date(2026, 10, d), name="国庆节")
        calendar.set_holiday(s, world.city, day=dt.date(2026, 10, 10), name="调休上班", is_workday=True)
        assert calendar.add_working_days(s, start, 5) == dt.date(2026, 10, 13)
        assert calendar.working_days_between(s, start, dt.date(2026, 10, 13)) == 5


def test_separation_of_duties_and_own_organisation(world):
    ent = world.enterprise()
    claim_id = world.submitted(ent)
    # A reviewer of another county cannot act, and is told why.
    other = world.factory.actor(world.factory.account("reviewer", division="331122"))
    with pytest.raises(NotFound) as err, world.db.unit_of_work() as s:
        service.prelim_pass(s, other, claim_id)
    assert "只能办理本辖区的申报" in err.value.message
    with world.db.unit_of_work() as s:
        service.prelim_pass(s, world.reviewer, claim_id)
    # The city reviewer who reviews cannot approve.
    city_approver = world.factory.actor(world.factory.account("approver", division="331100"))
    with world.db.unit_of_work() as s:
        service.city_pass(s, world.city, claim_id)
        service.publish_notice(s, world.city, claim_ids=[claim_id])
    # An approver whose user also did a review: simulate by recording the approver as the city reviewer.
    with world.db.unit_of_work() as s:
        claim = s.get(service.Claim, claim_id)
        claim.city_reviewer_id = city_approver.user_id
    with clock.shifted(dt.timedelta(days=8)):
        with pytest.raises(Forbidden) as err, world.db.unit_of_work() as s:
            service.approve(s, city_approver, claim_id)
        assert err.value.code == "separation_of_duties"
    # Nobody acts on a claim of their own organisation.
    own = world.factory.actor(world.factory.account("reviewer", org_id=world.factory.org(kind="government")))
    gov_claim_org = own.org_id
    assert gov_claim_org is not None
    with pytest.raises(Forbidden), world.db.unit_of_work() as s:
        claim = s.get(service.Claim, claim_id)
        claim.org_id = own.org_id
        s.flush()
        service.return_claim(s, own, claim_id, reason="补充材料")


def test_approval_waits_for_notice_and_answered_objections(world):
    ent = world.enterprise()
    claim_id = world.in_notice(ent)
    with pytest.raises(Conflict) as err, world.db.unit_of_work() as s:
        service.approve(s, world.approver, claim_id)
    assert "公示" in err.value.message
    with world.db.unit_of_work() as s:
        objection = service.lodge_objection(s, None, claim_id=claim_id, name="王五", contact="13800000000",
                                            text="该企业网络零售额数据有误")
        objection_id = objection.id
    with clock.shifted(dt.timedelta(days=8)):
        with pytest.raises(Conflict) as err, world.db.unit_of_work() as s:
            service.approve(s, world.approver, claim_id)
        assert "异议" in err.value.message
        with world.db.unit_of_work() as s:
            service.answer_objection(s, world.city, objection_id, upheld=False, answer="经核实数据无误")
        with world.db.unit_of_work() as s:
            assert service.approve(s, world.approver, claim_id).state == "approved"


def test_return_with_deadline_then_resubmit(world):
    ent = world.enterprise()
    claim_id = world.submitted(ent)
    with pytest.raises(ValidationFailed), world.db.unit_of_work() as s:
        service.return_claim(s, world.reviewer, claim_id, reason="  ")
    with world.db.unit_of_work() as s:
        claim = service.return_claim(s, world.reviewer, claim_id, reason="请补充上年度数据")
        assert claim.state == "returned" and claim.return_deadline is not None
    with world.db.unit_of_work() as s:
        assert service.submit(s, ent, claim_id, note="已补充").state == "submitted"


def test_a_return_not_completed_by_its_deadline_lapses_and_frees_the_period(world, settings, monkeypatch):
    from typer.testing import CliRunner

    from lishui.cli.main import app
    from lishui.core.actor import system_actor
    from tests.conftest import TEST_SECRET

    late, on_time = world.enterprise(), world.enterprise()
    late_id, on_time_id = world.submitted(late), world.submitted(on_time)
    with world.db.unit_of_work() as s:
        for claim_id, days in ((late_id, 3), (on_time_id, 5)):
            service.return_claim(s, world.reviewer, claim_id, reason="请补充上年度数据",
                                 deadline=clock.today() + dt.timedelta(days=days))
    with clock.shifted(dt.timedelta(days=4)):
        with pytest.raises(Forbidden), world.db.unit_of_work() as s:
            service.lapse_returns(s, world.reviewer)  # a county reviewer cannot run it
        with world.db.unit_of_work() as s:
            overdue, _ = service.queue(s, world.city, service.QueueFilter(overdue=True))
            assert [c.id for c, _ in overdue] == [late_id], "past its deadline it shows overdue"
            assert [c.id for c in service.lapse_returns(s, world.city, dry_run=True)] == [late_id]
        assert world.claim(late_id).state == "returned", "a dry run changes nothing"
        monkeypatch.setenv("LISHUI_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("LISHUI_SECRET_KEY", TEST_SECRET)
        out = CliRunner().invoke(app, ["funds", "lapse-returns"])
        assert out.exit_code == 0 and f"#{late_id} " in out.output and "1 returned claim(s)" in out.output, out.output
    lapsed, kept = world.claim(late_id), world.claim(on_time_id)
    assert (lapsed.state, lapsed.live_key, kept.state) == ("withdrawn", None, "returned")
    with world.db.unit_of_work() as s:
        event = next(e for e in service.history(s, world.city, late_id) if e.action == "lapse")
        assert "视为撤回" in event.reason and event.username == "funds lapse-returns"
        told = s.scalars(select(Notification.message).where(Notification.claim_id == late_id)).all()
        assert any("逾期未补正" in m for m in told)
        assert service.lapse_returns(s, system_actor("again")) == [], "nothing left to lapse"
    assert world.draft(late) != late_id, "the enterprise may apply again for the period"


def test_amount_change_only_with_reason_and_shown_in_history(world):
    ent = world.enterprise()
    claim_id = world.submitted(ent)
    with pytest.raises(ValidationFailed), world.db.unit_of_work() as s:
        service.amend_amount(s, world.reviewer, claim_id, amount=Money.yuan(8000), reason="")
    with world.db.unit_of_work() as s:
        service.amend_amount(s, world.reviewer, claim_id, amount=Money.yuan(8000), reason="扣除重复计算部分")
    with world.db.unit_of_work() as s:
        event = next(e for e in service.history(s, world.city, claim_id) if e.action == "amend_amount")
        assert event.amount_before == Money.yuan(10000) and event.amount_after == Money.yuan(8000)
        assert event.reason == "扣除重复计算部分"


def test_reject_and_withdraw_free_the_period_for_a_new_claim(world):
    ent = world.enterprise()
    claim_id = world.submitted(ent)
    with pytest.raises(ValidationFailed), world.db.unit_of_work() as s:
        service.reject(s, world.reviewer, claim_id, reason="")
    with world.db.unit_of_work() as s:
        service.reject(s, world.reviewer, claim_id, reason="不符合条件")
    second = world.draft(ent)
    with world.db.unit_of_work() as s:
        assert service.withdraw(s, ent, second).state == "withdrawn"


def test_withdraw_after_approval_releases_the_commitment(world):
    ent = world.enterprise()
    claim_id = world.approved(ent)
    with world.db.unit_of_work() as s:
        service.withdraw(s, ent, claim_id, reason="不再需要")
    with world.db.unit_of_work() as s:
        line = service.line_for(s, YEAR, "general")
        assert line.committed == Money(0)
        assert ledger.reconcile(s, YEAR).ok


def test_serious_violation_flag_refuses_approval(world):
    ent = world.enterprise()
    claim_id = world.in_notice(ent)
    with world.db.unit_of_work() as s:
        service.set_credit_flag(s, world.city, ent.org_id, serious_violation=True, note="严重失信")
    with clock.shifted(dt.timedelta(days=8)), pytest.raises(Conflict) as err, world.db.unit_of_work() as s:
        service.approve(s, world.approver, claim_id)
    assert "失信" in err.value.message


def test_caps_count_committed_claims(world):
    """M22 is capped at 50,000 a year: an amount raised above what the cap leaves is refused before money moves."""
    ent = world.enterprise()
    claim_id = world.submitted(ent)
    with world.db.unit_of_work() as s:
        service.amend_amount(s, world.reviewer, claim_id, amount=Money.yuan(60000), reason="复核后增长更多")
        service.prelim_pass(s, world.reviewer, claim_id)
        service.city_pass(s, world.city, claim_id)
        service.publish_notice(s, world.city, claim_ids=[claim_id])
    with clock.shifted(dt.timedelta(days=8)), pytest.raises(Conflict) as err, world.db.unit_of_work() as s:
        service.approve(s, world.approver, claim_id)
    assert "超过上限" in err.value.message


def test_not_duplicated_group_pays_the_higher_only(world):
    """M09 and M10 are one not-duplicated group: a committed claim in the group refuses the other."""
    from lishui.funds.models import Claim

    ent = world.enterprise()
    a = world.approved(ent)
    with world.db.unit_of_work() as s:
        first = s.get(Claim, a)
        first.not_duplicated_group = "g"
        twin = Claim(org_id=first.org_id, division_code=first.division_code, measure_id="M10", measure_title="t",
                     pack_key=first.pack_key, year=YEAR, budget_line="general", live_key="x", state="submitted",
                     amount=Money.yuan(5000), estimate=Money.yuan(5000), not_duplicated_group="g")
        s.add(twin)
        s.flush()
        problems = service.pre_money_checks(s, twin)
    assert any("不重复享受" in p for p in problems)


def test_budget_exhausted_is_refused_with_the_reason(world):
    ent = world.enterprise()
    claim_id = world.in_notice(ent)
    with world.db.unit_of_work() as s:
        line = service.line_for(s, YEAR, "general")
        service.appropriate(s, world.city, line.id, Money.yuan(-995_000), memo="调减")
    with clock.shifted(dt.timedelta(days=8)), pytest.raises(service.BudgetExhausted) as err, \
            world.db.unit_of_work() as s:
        service.approve(s, world.approver, claim_id)
    assert "budget line exhausted" in err.value.message
    assert world.claim(claim_id).state == "notice"


def test_crash_between_commitment_and_state_change_leaves_neither(world, monkeypatch):
    ent = world.enterprise()
    claim_id = world.in_notice(ent)
    real = service._transition

    def crash(session, actor, claim, action, *args, **kwargs):
        if action == "approve":
            raise RuntimeError("process killed")
        return real(session, actor, claim, action, *args, **kwargs)

    monkeypatch.setattr(service, "_transition", crash)
    with clock.shifted(dt.timedelta(days=8)), pytest.raises(RuntimeError), world.db.unit_of_work() as s:
        service.approve(s, world.approver, claim_id)
    with world.db.unit_of_work() as s:
        assert s.scalar(select(JournalEntry).where(JournalEntry.claim_id == claim_id)) is None
        assert service.line_for(s, YEAR, "general").committed == Money(0)
    assert world.claim(claim_id).state == "notice"


def test_ledger_and_history_are_append_only_in_the_database(world):
    ent = world.enterprise()
    world.approved(ent)
    for statement in ("UPDATE funds_journal_lines SET amount_fen = 0",
                      "DELETE FROM funds_journal_entries",
                      "UPDATE funds_claim_events SET reason = 'x'"):
        with pytest.raises((DBAPIError, IntegrityError)), world.db.unit_of_work() as s:
            s.execute(text(statement))
    with world.db.unit_of_work() as s:
        assert s.scalar(select(ClaimEvent.id).limit(1)) is not None


def test_enterprise_sees_only_its_own_claims(world):
    a = world.enterprise()
    b = world.enterprise()
    claim_id = world.draft(a)
    other = world.factory.actor(world.factory.account("reviewer", division="331122"))
    with pytest.raises(NotFound), world.db.unit_of_work() as s:
        service.get_claim(s, b, claim_id)
    with world.db.unit_of_work() as s:
        assert [c.id for c in service.my_claims(s, b)] == []
        rows, total = service.queue(s, world.reviewer, service.QueueFilter())
        assert total == 1 and rows[0][0].id == claim_id
        assert service.queue(s, other, service.QueueFilter())[1] == 0


def test_provincial_part_is_deducted_before_money_moves(world):
    """M06 includes any provincial subsidy for the same item (S4): a claim above what remains after it is refused."""
    from lishui.funds.models import Claim

    operator = world.factory.org(kind="station_operator", division="331102")
    with world.db.unit_of_work() as s:
        pack = service.policy.pack_in_force(YEAR, "331102")
        assert pack.measures["M06"].funding.includes_provincial
        claim = Claim(org_id=operator, division_code="331102", measure_id="M06", measure_title="t",
                      pack_key=service.policy.pack_key(pack), year=YEAR, budget_line="rural", live_key="p",
                      state="notice", amount=Money.yuan(100_000), estimate=Money.yuan(100_000),
                      facts_json='{"rural_stations_new_accepted": "3", "rural_stations_second_year": "0", '
                                 '"rural_stations_third_year": "0", "provincial_m06": "999999"}')
        s.add(claim)
        s.flush()
        problems = service.pre_money_checks(s, claim)
    assert any("省级补助" in p and "扣除已获省级补助" in p for p in problems), problems


def test_a_correction_is_a_reversing_entry(world):
    with world.db.unit_of_work() as s:
        line = service.line_for(s, YEAR, "general")
        entry = s.scalar(select(JournalEntry).where(JournalEntry.kind == "appropriation",
                                                    JournalEntry.memo.like("%预算下达%")).limit(1))
        ledger.reverse(s, world.city, entry.id, service._lock_line(s, line.id), "下达金额有误，冲正")
    with world.db.unit_of_work() as s:
        line = service.line_for(s, YEAR, "general")
        assert line.appropriated == Money(0) and line.available == Money(0)
        assert ledger.reconcile(s, YEAR).ok
        assert s.scalar(select(JournalEntry).where(JournalEntry.kind == "reversal")).reverses_id == entry.id


def test_measure_allocation_and_cost_share_at_approval(world):
    from decimal import Decimal

    first = world.in_notice(world.enterprise())
    second = world.in_notice(world.enterprise())
    with world.db.unit_of_work() as s:
        line = service.line_for(s, YEAR, "general")
        service.set_allocation(s, world.city, line.id, "M22", Money.yuan(15000))
        service.set_cost_share(s, world.city, YEAR, "331102", Decimal("0.6"))
    with clock.shifted(dt.timedelta(days=8)):
        with world.db.unit_of_work() as s:
            claim = service.approve(s, world.approver, first)
            assert (claim.city_part, claim.county_part) == (Money.yuan(6000), Money.yuan(4000))
        with pytest.raises(Conflict) as err, world.db.unit_of_work() as s:
            service.approve(s, world.approver, second)
    assert "分配额度不足" in err.value.message
