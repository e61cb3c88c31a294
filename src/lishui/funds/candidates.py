"""免申即享: candidate claims from a completed batch run, and the enterprise's one-step confirmation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.errors import Conflict, FieldError, Forbidden, ValidationFailed
from lishui.core.money import Money
from lishui.funds import calendar
from lishui.funds.models import Claim, ClaimEvent, Notification
from lishui.funds.service import _live_key, _own_claim, _payee, _transition, has_serious_violation
from lishui.policy import service as policy
from lishui.policy.models import BatchCandidate
from lishui.registry import Organisation, get_organisation, scope_orgs

CHUNK = 2000


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


@dataclass
class CandidateReport:
    run_id: int
    created: int = 0
    skipped_existing: int = 0
    skipped_flagged: int = 0
    skipped_other: int = 0


def create_candidates(session: Session, actor: Actor, run_id: int) -> CandidateReport:
    """One candidate claim per eligible (entity, measure) of the run, for the organisations the actor may see.
    A claim already open for the same entity, measure and year is left alone; entities flagged for a serious
    violation get none. Written in bulk, with one audit record for the run."""
    if not actor.can("funds:candidate:create"):
        raise Forbidden()
    run = policy.get_run(session, actor, run_id)
    if run.status != "done":
        raise Conflict("批量测算尚未完成")
    pack = policy.get_pack(f"{run.pack_id}@{run.pack_version}")
    key = policy.pack_key(pack)
    report = CandidateReport(run_id=run.id)
    rows = session.execute(scope_orgs(
        select(BatchCandidate.org_id, BatchCandidate.measure_id, BatchCandidate.amount_fen, Organisation.division_code,
               Organisation.name, Organisation.bank_name, Organisation.bank_account_masked)
        .join(Organisation, Organisation.id == BatchCandidate.org_id), actor)
        .where(BatchCandidate.run_id == run.id, BatchCandidate.kind == "eligible", BatchCandidate.amount_fen > 0)
        .order_by(BatchCandidate.id)).all()
    existing = set(session.scalars(select(Claim.live_key).where(Claim.year == run.year, Claim.live_key.is_not(None))))
    from lishui.funds.models import CreditFlag

    flagged = set(session.scalars(select(CreditFlag.org_id).where(CreditFlag.serious_violation.is_(True))))
    now = clock.now()
    claims = []
    for r in rows:
        measure = pack.measures.get(r.measure_id)
        if measure is None or measure.budget_line == "none":
            report.skipped_other += 1
            continue
        live = _live_key(r.org_id, r.measure_id, run.year)
        if live in existing:
            report.skipped_existing += 1
            continue
        if r.org_id in flagged:
            report.skipped_flagged += 1
            continue
        existing.add(live)
        claims.append({
            "org_id": r.org_id, "division_code": r.division_code, "measure_id": r.measure_id,
            "measure_title": measure.title, "pack_key": key, "year": run.year, "budget_line": measure.budget_line,
            "live_key": live, "origin": "candidate", "run_id": run.id, "state": "candidate",
            "amount": Money(int(r.amount_fen)), "estimate": Money(int(r.amount_fen)), "amount_reason": "",
            "facts_json": "{}", "explanation": "",
            "not_duplicated_group": measure.funding.not_duplicated_group, "payee_name": r.name,
            "bank_name": r.bank_name, "bank_account_masked": r.bank_account_masked, "created_at": now,
            "state_changed_at": now, "city_part": Money(0), "county_part": Money(0), "reject_reason": "",
            "revision": 1,
        })
    for start in range(0, len(claims), CHUNK):
        chunk = claims[start:start + CHUNK]
        # Core inserts on the tables: batched into multi-row statements by SQLAlchemy ("insertmanyvalues") on
        # PostgreSQL, where the ORM's bulk path sends one statement per row through psycopg's pipeline.
        session.execute(insert(_table(Claim)), chunk)
    if claims:
        # The new claims' ids, for their first history event and the applicants' notifications.
        created = session.execute(select(Claim.id, Claim.org_id, Claim.measure_id, Claim.measure_title)
                                  .where(Claim.run_id == run.id, Claim.state == "candidate")).all()
        events = [{"claim_id": c.id, "at": now, "user_id": actor.user_id, "username": actor.username,
                   "role": actor.role, "action": "create_candidate", "from_state": "", "to_state": "candidate",
                   "reason": f"批量测算 #{run.id}：数据表明符合条件（免申即享）"} for c in created]
        notes = [{"org_id": c.org_id, "claim_id": c.id, "created_at": now,
                  "message": f"免申即享：您符合 {c.measure_id} {c.measure_title} 的条件，请确认收款账户后即可进入审核"}
                 for c in created]
        for start in range(0, len(events), CHUNK):
            session.execute(insert(_table(ClaimEvent)), events[start:start + CHUNK])
            session.execute(insert(_table(Notification)), notes[start:start + CHUNK])
    report.created = len(claims)
    audit.record(session, actor, "funds.candidates.create", object_type="batch_run", object_id=run.id,
                 detail={"created": report.created, "skipped_existing": report.skipped_existing,
                         "skipped_flagged": report.skipped_flagged, "year": run.year})
    return report


def confirm(session: Session, actor: Actor, claim_id: int, *, account_confirmed: bool) -> Claim:
    """The enterprise confirms its bank account; nothing else to fill in. The claim enters review."""
    claim = _own_claim(session, actor, claim_id)
    if claim.state != "candidate":
        raise Conflict("该申报不是待确认的免申即享候选")
    if not account_confirmed:
        raise ValidationFailed("请确认收款账户", [FieldError("account_confirmed", "请勾选确认收款账户")])
    assert actor.org_id is not None
    org = get_organisation(session, actor, actor.org_id)
    if not org.bank_account_masked:
        raise ValidationFailed("本单位尚未登记银行账户：请先在机构信息中登记", [FieldError("bank_account", "未登记")])
    if has_serious_violation(session, claim.org_id):
        raise Forbidden("该主体有严重失信记录，不能申报专项资金", code="credit_flag")
    _payee(session, claim, org)
    claim.bank_confirmed_at = clock.now()
    claim.submitted_at = clock.now()
    claim.submitted_on = clock.today()
    claim.due_on = calendar.add_working_days(session, clock.today(), calendar.CLAIM_LIMIT_WORKING_DAYS)
    if claim.explanation == "" or claim.facts_json == "{}":
        from lishui.funds.service import estimate

        est = estimate(session, actor, org, claim.measure_id, claim.year)
        claim.explanation = est.explanation
        claim.facts_json = json.dumps(est.facts, ensure_ascii=False)
    _transition(session, actor, claim, "confirm", "submitted",
                reason=f"确认收款账户：{org.bank_name} {org.bank_account_masked}")
    return claim
