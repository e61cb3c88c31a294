"""Submitting, correcting and approving reports through the service: validation, flags, revisions, locks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lishui.core import clock
from lishui.core.audit import AuditRecord
from lishui.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from lishui.stats import service
from lishui.stats.models import StatsRevision, StatsSubmission
from tests.stats.helpers import chain, months, retail, soon_after

FORM = "ENT_MONTHLY_RETAIL"


def submit(db, actor, period, values, entity=None):
    with db.unit_of_work() as session:
        return service.submit(session, actor, form_code=FORM, entity_ref=entity, period=period, values=values).id


def fields_of(exc) -> dict[str, str]:
    return {f.field: f.message for f in exc.value.fields}


def test_an_enterprise_submits_its_month_and_the_chain_accepts_it(db, factory):
    c = chain(factory)
    month = months(1)[0]
    sub_id = submit(db, c.enterprise, month, retail(120_000, agri=30_000, retail_jd="50000.50"))
    with db.unit_of_work() as session:
        service.verify(session, c.county, sub_id)
        service.accept(session, c.city, sub_id)
    with db.unit_of_work() as session:
        sub = session.get(StatsSubmission, sub_id)
        assert (sub.status, sub.accepted_revision, sub.org_id, sub.period) == ("accepted", 1, c.enterprise_org, month)
        values = service.revision(session, sub).values
        assert '"online_retail":"12000000"' in values and '"retail_jd":"5000050"' in values  # fen
        events = [r.event for r in session.scalars(select(AuditRecord).where(
            AuditRecord.object_type == "stats_submission", AuditRecord.object_id == str(sub_id)))]
        assert events == ["stats.submission.submit", "stats.submission.verify", "stats.submission.accept"]


@pytest.mark.parametrize(("values", "field", "message"), [
    ({**retail(100), "online_retail": "-5"}, "online_retail", "不能为负数"),
    ({**retail(100), "online_retail": "一百"}, "online_retail", "应为数字"),
    ({**retail(100), "online_retail": "1.005"}, "online_retail", "两位小数"),
    ({k: v for k, v in retail(100).items() if k != "physical_goods"}, "physical_goods", "必填"),
    (retail(100, agri=101), "agricultural_retail", "分项不能大于合计"),
    ({**retail(100), "non_physical_goods": "1"}, "non_physical_goods", "分项不能大于合计"),
    ({**retail(100), "active_shops": "2.5"}, "active_shops", "应为整数"),
])
def test_bad_values_are_refused_naming_the_field(db, factory, values, field, message):
    c = chain(factory)
    with pytest.raises(ValidationFailed) as exc:
        submit(db, c.enterprise, months(1)[0], values)
    assert message in fields_of(exc)[field]
    with db.unit_of_work() as session:
        assert session.scalar(select(StatsSubmission.id)) is None


def test_a_future_period_and_a_second_report_of_a_period_are_refused(db, factory):
    c = chain(factory)
    today = clock.today()
    with pytest.raises(ValidationFailed) as exc:
        submit(db, c.enterprise, f"{today.year}-{today.month:02d}", retail(100))
    assert "尚未结束" in fields_of(exc)["period"]
    month = months(1)[0]
    submit(db, c.enterprise, month, retail(100))
    with pytest.raises(Conflict) as dup:
        submit(db, c.enterprise, month, retail(200))
    assert "已报送" in dup.value.message


def test_an_enterprise_reports_only_for_itself_and_only_its_forms(db, factory):
    c = chain(factory)
    other = factory.org(division="331102")
    with db.unit_of_work() as session:
        other_uscc = session.get(service.Organisation, other).uscc
    with pytest.raises(NotFound):
        submit(db, c.enterprise, months(1)[0], retail(100), entity=other_uscc)
    with db.unit_of_work() as session, pytest.raises(Forbidden):
        service.submit(session, c.enterprise, form_code="STATS_INCLUSION", entity_ref=None, period="2017",
                       values={"included": "是"})


def test_a_fifty_fold_jump_is_stored_flagged_and_needs_a_note_to_be_accepted(db, factory):
    c = chain(factory)
    history = months(7)
    for month, amount in zip(history[:-1], (100_000, 110_000, 95_000, 105_000, 98_000, 100_000), strict=True):
        with soon_after(month):
            submit(db, c.enterprise, month, retail(amount))
    jump = submit(db, c.enterprise, history[-1], retail(5_000_000))
    with db.unit_of_work() as session:
        sub = session.get(StatsSubmission, jump)
        assert sub.flagged
        flags = service.revision(session, sub).flags
        assert '"kind":"jump"' in flags.replace(" ", "") and "50.0 倍" in flags
        assert "zscore" in flags
        service.verify(session, c.county, jump)
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as exc:
        service.accept(session, c.city, jump)
    assert "note" in fields_of(exc)
    with db.unit_of_work() as session:
        service.accept(session, c.city, jump, note="电话核实：双十一大促，属实")
    with db.unit_of_work() as session:
        sub = session.get(StatsSubmission, jump)
        assert sub.status == "accepted" and "双十一" in sub.officer_note


def test_a_correction_is_a_new_revision_and_accepted_figures_keep_their_revision(db, factory):
    c = chain(factory)
    month = months(1)[0]
    sub_id = submit(db, c.enterprise, month, retail(100_000))
    with db.unit_of_work() as session:
        service.verify(session, c.county, sub_id)
        service.accept(session, c.city, sub_id)
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as exc:
        service.correct(session, c.enterprise, sub_id, values=retail(120_000), reason="")
    assert "reason" in fields_of(exc)
    with db.unit_of_work() as session:
        service.correct(session, c.enterprise, sub_id, values=retail(120_000), reason="漏报了京东店铺")
    with db.unit_of_work() as session:
        sub = session.get(StatsSubmission, sub_id)
        assert (sub.status, sub.current_revision, sub.accepted_revision) == ("submitted", 2, 1)
        revs = session.scalars(select(StatsRevision).where(StatsRevision.submission_id == sub_id)
                               .order_by(StatsRevision.revision)).all()
        assert [r.revision for r in revs] == [1, 2]
        assert '"online_retail":"10000000"' in revs[0].values  # the first revision is untouched
        assert revs[1].reason == "漏报了京东店铺" and revs[1].created_by == c.enterprise.username
        history = service.value_history(session, sub)["online_retail"]
        assert [h.value for h in history] == ["10000000", "12000000"]


def test_returning_needs_a_reason_and_the_reporter_answers_with_a_correction(db, factory):
    c = chain(factory)
    sub_id = submit(db, c.enterprise, months(1)[0], retail(100_000))
    with db.unit_of_work() as session, pytest.raises(ValidationFailed):
        service.return_submission(session, c.county, sub_id, reason=" ")
    with db.unit_of_work() as session:
        service.return_submission(session, c.county, sub_id, reason="农产品数据缺失")
    with db.unit_of_work() as session:
        assert session.get(StatsSubmission, sub_id).return_reason == "农产品数据缺失"
        service.correct(session, c.enterprise, sub_id, values=retail(100_000, agri=10_000), reason="补充农产品")
    with db.unit_of_work() as session:
        sub = session.get(StatsSubmission, sub_id)
        assert (sub.status, sub.return_reason) == ("submitted", "")


def test_the_chain_is_kept_in_order_and_by_the_right_people(db, factory):
    c = chain(factory)
    far = chain(factory, division="331122")
    sub_id = submit(db, c.enterprise, months(1)[0], retail(100_000))
    with db.unit_of_work() as session, pytest.raises(Conflict):
        service.accept(session, c.city, sub_id)  # not verified yet
    with db.unit_of_work() as session, pytest.raises(NotFound):
        service.verify(session, far.county, sub_id)  # another county's report
    with db.unit_of_work() as session, pytest.raises(Forbidden):
        service.verify(session, c.enterprise, sub_id)
    with db.unit_of_work() as session:
        service.verify(session, c.city, sub_id)
    with db.unit_of_work() as session, pytest.raises(Forbidden):
        service.accept(session, c.city, sub_id)  # the verifier cannot also accept


def test_a_locked_period_reopens_only_for_the_entity_with_an_exception(db, factory):
    c = chain(factory)
    other = chain(factory)
    old = "2017-03"
    with pytest.raises(Conflict) as exc:
        submit(db, c.enterprise, old, retail(100))
    assert "锁定" in exc.value.message
    with db.unit_of_work() as session:
        with pytest.raises(NotFound):
            service.open_exception(session, chain(factory, "331122").county, form_code=FORM,
                                   entity_ref=str(c.enterprise_org), period=old, reason="补报")
        service.open_exception(session, c.county, form_code=FORM, entity_ref=str(c.enterprise_org), period=old,
                               reason="企业补报 2017 年数据")
    submit(db, c.enterprise, old, retail(100))
    with pytest.raises(Conflict):
        submit(db, other.enterprise, old, retail(100))
    with clock.shifted(dt.timedelta(days=30)), pytest.raises(Conflict), db.unit_of_work() as session:
        sub = session.scalar(select(StatsSubmission).where(StatsSubmission.period == old))
        service.correct(session, c.enterprise, sub.id, values=retail(200), reason="过期后更正")
