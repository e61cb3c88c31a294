"""Special-fund business logic: budgets, claims and their review, public notice, approval against the budget.

Services take ``(session, actor, *, ...)`` and never commit. Every state change writes a claim event (the
claim's history), an audit record and a notification to the applicant, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.db import cipher_of
from lishui.core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound, ValidationFailed
from lishui.core.money import Money
from lishui.funds import calendar, ledger
from lishui.funds.models import (
    Budget,
    BudgetLine,
    Claim,
    ClaimEvent,
    ConflictDeclaration,
    CostShare,
    CreditFlag,
    Evidence,
    MeasureAllocation,
    Notice,
    Notification,
    Objection,
)
from lishui.policy import service as policy
from lishui.policy.engine import MeasureResult, received_fact
from lishui.policy.pack.model import Measure, Pack
from lishui.registry import CITY_CODE, Organisation, get_organisation, get_organisation_unscoped

# ---------------------------------------------------------------- vocabulary

STATES: dict[str, tuple[str, str]] = {
    "draft": ("草稿（待提交）", "Draft"),
    "candidate": ("待确认（免申即享）", "Candidate (to confirm)"),
    "submitted": ("待初审", "Preliminary review"),
    "city_review": ("待市级复审", "City review"),
    "city_reviewed": ("待公示", "Awaiting notice"),
    "notice": ("公示中", "Public notice"),
    "approved": ("已批准", "Approved"),
    "disbursing": ("拨付中", "Disbursing"),
    "paid": ("已支付", "Paid"),
    "returned": ("退回补正", "Returned"),
    "rejected": ("未通过", "Rejected"),
    "withdrawn": ("已撤回", "Withdrawn"),
}
OPEN_STATES = ("draft", "candidate", "submitted", "city_review", "city_reviewed", "notice", "returned")
COMMITTED_STATES = ("approved", "disbursing", "paid")
TERMINAL_STATES = ("paid", "rejected", "withdrawn")
# Working days each review step may take before the claim is shown overdue at that step.
STEP_LIMITS = {"submitted": 10, "city_review": 10, "city_reviewed": 5, "notice": 10, "approved": 10,
               "disbursing": 10}
NOTICE_DAYS = 7
RETURN_DAYS = 10
ACTIONS_ZH = {
    "create": "创建申报",
    "create_candidate": "生成免申即享候选", "confirm": "确认并提交", "submit": "提交申报", "resubmit": "补正后重新提交",
    "prelim_pass": "初审通过", "city_pass": "市级复审通过", "notice": "进入公示", "approve": "批准",
    "return": "退回补正", "reject": "不予通过", "withdraw": "撤回", "amend_amount": "调整金额",
    "evidence": "上传材料", "batch": "编入拨付批次", "paid": "已支付", "bounce": "退票", "objection": "收到异议",
    "objection_answer": "答复异议", "lapse": "逾期未补正，视为撤回",
}


class BudgetExhausted(DomainError):
    def __init__(self, line: BudgetLine, amount: Money) -> None:
        super().__init__(f"预算额度不足（budget line exhausted）：{line.label or line.line} 可用 "
                         f"{line.available.format()}，本笔需 {amount.format()}", "budget_exhausted", 409)


def state_label(state: str, lang: str = "zh") -> str:
    zh, en = STATES.get(state, (state, state))
    return zh if lang == "zh" else en


# ---------------------------------------------------------------- scope

def scope_claims(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """Restrict a query over claims to what the actor may see; declared conflicts are never shown."""
    if actor.scope == "city":
        pass
    elif actor.scope == "division" and actor.scope_division:
        stmt = stmt.where(Claim.division_code == actor.scope_division)
    elif actor.scope == "org" and actor.org_id is not None:
        return stmt.where(Claim.org_id == actor.org_id)
    else:
        return stmt.where(Claim.id == -1)
    if actor.user_id is not None:
        stmt = stmt.where(Claim.org_id.not_in(select(ConflictDeclaration.org_id)
                                              .where(ConflictDeclaration.user_id == actor.user_id)))
    return stmt


def get_claim(session: Session, actor: Actor, claim_id: int) -> Claim:
    claim = session.scalar(scope_claims(select(Claim).where(Claim.id == claim_id), actor))
    if claim is None:
        raise NotFound("申报不存在")
    return claim


def _lock_claim(session: Session, claim_id: int) -> Claim:
    claim = session.scalar(select(Claim).where(Claim.id == claim_id).with_for_update()
                           .execution_options(populate_existing=True))
    if claim is None:
        raise NotFound("申报不存在")
    return claim


def _in_jurisdiction(actor: Actor, claim: Claim) -> bool:
    if actor.scope == "city":
        return True
    return actor.scope == "division" and actor.scope_division == claim.division_code


def _officer_claim(session: Session, actor: Actor, claim_id: int, permission: str) -> Claim:
    """A claim an officer acts on: permission, jurisdiction, own organisation and declared conflicts checked,
    each refused with its reason."""
    if not actor.can(permission):
        raise Forbidden()
    claim = _lock_claim(session, claim_id)
    if actor.scope == "org":
        raise NotFound("申报不存在")
    if not _in_jurisdiction(actor, claim):
        # As for any record outside one's scope: not found (its existence is not disclosed), with the reason.
        raise NotFound("申报不存在，或不属于您所在的县（市、区）：只能办理本辖区的申报")
    if actor.org_id is not None and actor.org_id == claim.org_id:
        raise Forbidden("不能办理本单位的申报（回避）", code="own_organisation")
    if actor.user_id is not None and session.scalar(select(ConflictDeclaration.id).where(
            ConflictDeclaration.user_id == actor.user_id, ConflictDeclaration.org_id == claim.org_id)):
        raise Forbidden("您已申报与该主体存在利益冲突，不能办理其申报", code="conflict_of_interest")
    return claim


def _own_claim(session: Session, actor: Actor, claim_id: int) -> Claim:
    if not actor.can("funds:claim:apply") or actor.org_id is None:
        raise Forbidden()
    claim = _lock_claim(session, claim_id)
    if claim.org_id != actor.org_id:
        raise NotFound("申报不存在")
    return claim


# ---------------------------------------------------------------- history, notifications

def _transition(session: Session, actor: Actor, claim: Claim, action: str, to_state: str | None = None, *,
                reason: str = "", amount_before: Money | None = None, amount_after: Money | None = None,
                deadline: dt.date | None = None) -> ClaimEvent:
    from_state = claim.state
    if to_state is not None and to_state != from_state:
        claim.state = to_state
        claim.state_changed_at = clock.now()
        limit = STEP_LIMITS.get(to_state)
        claim.step_due_on = calendar.add_working_days(session, clock.today(), limit) if limit else None
        if to_state in ("rejected", "withdrawn"):
            claim.live_key = None
        claim.revision += 1
    event = ClaimEvent(claim_id=claim.id, user_id=actor.user_id, username=actor.username, role=actor.role,
                       action=action, from_state=from_state, to_state=claim.state, reason=reason[:1000],
                       amount_before=amount_before, amount_after=amount_after, deadline=deadline)
    session.add(event)
    text = f"您的申报 #{claim.id}（{claim.measure_id} {claim.measure_title}）：{ACTIONS_ZH.get(action, action)}"
    if claim.state != from_state:
        text += f"，当前状态：{state_label(claim.state)}"
    if reason:
        text += f"。说明：{reason[:200]}"
    session.add(Notification(org_id=claim.org_id, claim_id=claim.id, message=text[:500]))
    session.flush()
    audit.record(session, actor, f"funds.claim.{action}", object_type="claim", object_id=claim.id,
                 before={"state": from_state, "amount_fen": (amount_before or claim.amount).fen},
                 after={"state": claim.state, "amount_fen": (amount_after or claim.amount).fen},
                 detail={"reason": reason[:300]} if reason else None)
    return event


def history(session: Session, actor: Actor, claim_id: int) -> list[ClaimEvent]:
    get_claim(session, actor, claim_id)
    return list(session.scalars(select(ClaimEvent).where(ClaimEvent.claim_id == claim_id).order_by(ClaimEvent.id)))


def notifications(session: Session, actor: Actor, limit: int = 50) -> list[Notification]:
    if actor.org_id is None:
        return []
    return list(session.scalars(select(Notification).where(Notification.org_id == actor.org_id)
                                .order_by(Notification.id.desc()).limit(limit)))


# ---------------------------------------------------------------- budgets

def get_budget(session: Session, year: int) -> Budget | None:
    return session.scalar(select(Budget).where(Budget.year == year))


def budget_lines(session: Session, year: int) -> list[BudgetLine]:
    return list(session.scalars(select(BudgetLine).where(BudgetLine.year == year).order_by(BudgetLine.id)))


def _fiscal_shares(pack: Pack) -> dict[str, Decimal]:
    params = pack.params_runtime()
    return {code: Decimal(str(params[name])) for code, name in pack.fiscal_split.items() if name in params}


def create_budget(session: Session, actor: Actor, *, year: int, lines: Mapping[tuple[str, str], Money],
                  title: str = "") -> Budget:
    """A year's fund with its lines (``(line, source) -> amount``), appropriated through the ledger; the cost
    shares per jurisdiction are taken from the pack in force (S3) and can be changed afterwards."""
    if not actor.can("funds:budget:write"):
        raise Forbidden()
    if get_budget(session, year) is not None:
        raise Conflict(f"{year} 年度的专项资金预算已存在", [FieldError("year", "已存在")])
    errors = []
    for (line, source), amount in lines.items():
        if line not in ("general", "rural") or source not in ("city", "provincial"):
            errors.append(FieldError("line", f"未知的预算行 {line}/{source}"))
        if amount.fen < 0:
            errors.append(FieldError(f"{line}_{source}", "金额不能为负数"))
    if errors:
        raise ValidationFailed("预算有误", errors)
    budget = Budget(year=year, title=title or f"{year} 年度丽水市电子商务专项资金", created_by=actor.username)
    session.add(budget)
    session.flush()
    pack = policy.pack_in_force(year)
    labels = {k: getattr(v, "label", k) for k, v in pack.budget_lines.items()}
    for (line_name, source), amount in lines.items():
        label = labels.get(line_name, line_name) + ("（省级补助资金）" if source == "provincial" else "")
        budget_line = BudgetLine(budget_id=budget.id, year=year, line=line_name, source=source, label=label)
        session.add(budget_line)
        session.flush()
        if amount.fen:
            ledger.post(session, actor, budget_line, "appropriation", amount, memo=f"{year} 年度预算下达")
    shares = _fiscal_shares(pack)
    others = shares.pop("others", None)
    from lishui.registry import jurisdictions

    codes = [CITY_CODE, *[d.code for d in jurisdictions(session)]]
    for code in codes:
        share = shares.get(code, others)
        if share is not None:
            session.add(CostShare(budget_id=budget.id, division_code=code, city_share=share))
    session.flush()
    audit.record(session, actor, "funds.budget.create", object_type="budget", object_id=budget.id,
                 after={"year": year, "lines": {f"{k[0]}/{k[1]}": v.fen for k, v in lines.items()}})
    return budget


def _lock_line(session: Session, line_id: int) -> BudgetLine:
    line = session.scalar(select(BudgetLine).where(BudgetLine.id == line_id).with_for_update()
                          .execution_options(populate_existing=True))
    if line is None:
        raise NotFound("预算行不存在")
    return line


def appropriate(session: Session, actor: Actor, line_id: int, amount: Money, memo: str = "") -> BudgetLine:
    """Add to a line's appropriation (a supplementary budget); a negative amount is a reduction."""
    if not actor.can("funds:budget:write"):
        raise Forbidden()
    line = _lock_line(session, line_id)
    if amount.fen == 0:
        raise ValidationFailed("金额不能为零", [FieldError("amount", "不能为零")])
    if amount.fen > 0:
        ledger.post(session, actor, line, "appropriation", amount, memo=memo or "追加预算")
    else:
        if line.available.fen < -amount.fen:
            raise Conflict("调减金额超过可用额", [FieldError("amount", f"可用 {line.available.format()}")])
        # A reduction is an appropriation in the other direction (negative amounts on both sides).
        ledger.post(session, actor, line, "appropriation", amount, memo=memo or "调减预算")
    audit.record(session, actor, "funds.budget.appropriate", object_type="budget_line", object_id=line.id,
                 after={"amount_fen": amount.fen, "appropriated_fen": line.appropriated.fen})
    return line


def set_allocation(session: Session, actor: Actor, line_id: int, measure_id: str, amount: Money) -> None:
    if not actor.can("funds:budget:write"):
        raise Forbidden()
    line = _lock_line(session, line_id)
    if not any(measure_id in p.measures for p in policy.packs().values()):
        raise ValidationFailed(f"未知的措施 {measure_id}", [FieldError("measure", "未知的措施")])
    found = session.scalar(select(MeasureAllocation).where(MeasureAllocation.line_id == line.id,
                                                           MeasureAllocation.measure_id == measure_id))
    if found is None:
        session.add(MeasureAllocation(line_id=line.id, measure_id=measure_id, amount=amount))
    else:
        found.amount = amount
    session.flush()
    audit.record(session, actor, "funds.budget.allocation", object_type="budget_line", object_id=line.id,
                 after={"measure": measure_id, "amount_fen": amount.fen})


def set_cost_share(session: Session, actor: Actor, year: int, division_code: str, city_share: Decimal) -> None:
    if not actor.can("funds:budget:write"):
        raise Forbidden()
    if not Decimal(0) <= city_share <= Decimal(1):
        raise ValidationFailed("市级分担比例应在 0 到 1 之间", [FieldError("city_share", "应在 0 到 1 之间")])
    budget = get_budget(session, year)
    if budget is None:
        raise NotFound(f"{year} 年度没有预算")
    found = session.scalar(select(CostShare).where(CostShare.budget_id == budget.id,
                                                   CostShare.division_code == division_code))
    if found is None:
        session.add(CostShare(budget_id=budget.id, division_code=division_code, city_share=city_share))
    else:
        found.city_share = city_share
    session.flush()
    audit.record(session, actor, "funds.budget.cost_share", object_type="budget", object_id=budget.id,
                 after={"division": division_code, "city_share": str(city_share)})


def cost_shares(session: Session, year: int) -> dict[str, Decimal]:
    budget = get_budget(session, year)
    if budget is None:
        return {}
    rows = session.execute(select(CostShare.division_code, CostShare.city_share)
                           .where(CostShare.budget_id == budget.id))
    return {code: Decimal(share) for code, share in rows}


def line_for(session: Session, year: int, line_name: str) -> BudgetLine | None:
    return session.scalar(select(BudgetLine).where(BudgetLine.year == year, BudgetLine.line == line_name,
                                                   BudgetLine.source == "city"))


# ---------------------------------------------------------------- credit flag, conflicts

def set_credit_flag(session: Session, actor: Actor, org_id: int, *, serious_violation: bool, note: str = "") -> None:
    if not actor.can("funds:credit:write"):
        raise Forbidden()
    get_organisation(session, actor, org_id)
    flag = session.get(CreditFlag, org_id)
    if flag is None:
        flag = CreditFlag(org_id=org_id, serious_violation=serious_violation, note=note[:300], set_by=actor.username)
        session.add(flag)
    else:
        flag.serious_violation, flag.note, flag.set_by, flag.set_at = serious_violation, note[:300], actor.username, \
            clock.now()
    session.flush()
    audit.record(session, actor, "funds.credit.flag", object_type="organisation", object_id=org_id,
                 after={"serious_violation": serious_violation, "note": note[:300]})


def has_serious_violation(session: Session, org_id: int) -> bool:
    flag = session.get(CreditFlag, org_id)
    return bool(flag and flag.serious_violation)


def declare_conflict(session: Session, actor: Actor, org_id: int, note: str = "") -> None:
    if actor.user_id is None or not (actor.can("funds:claim:review") or actor.can("funds:claim:approve")):
        raise Forbidden()
    if get_organisation_unscoped(session, org_id) is None:
        raise NotFound("机构不存在")
    if session.scalar(select(ConflictDeclaration.id).where(ConflictDeclaration.user_id == actor.user_id,
                                                           ConflictDeclaration.org_id == org_id)) is None:
        session.add(ConflictDeclaration(user_id=actor.user_id, org_id=org_id, note=note[:300]))
        session.flush()
    audit.record(session, actor, "funds.conflict.declare", object_type="organisation", object_id=org_id,
                 detail={"note": note[:300]})


# ---------------------------------------------------------------- estimates (the policy engine)

@dataclass
class Estimate:
    pack: Pack
    measure: Measure
    result: MeasureResult
    facts: dict[str, Any]
    explanation: str
    fillable: list[str] = field(default_factory=list)  # facts the applicant may give

    @property
    def amount(self) -> Money:
        return Money.yuan(self.result.amount) if self.result.eligible else Money(0)


def _json_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in sorted(facts.items()):
        if isinstance(v, bool | int | str) or v is None:
            out[k] = v
        else:
            out[k] = str(v)
    return out


def fillable_facts(measure: Measure) -> list[str]:
    from lishui.policy.facts import provided_names

    provided = provided_names()
    return [f for f in measure.facts if f not in provided and not f.startswith(("received_", "provincial_"))]


def parse_answers(pack: Pack, measure: Measure, answers: Mapping[str, str]) -> dict[str, Any]:
    """The applicant's facts, typed by the pack; wrong values are refused naming the field."""
    from lishui.policy.facts import BadValue, check_share, parse_value

    out: dict[str, Any] = {}
    errors = []
    for name in fillable_facts(measure):
        raw = (answers.get(name) or "").strip()
        if not raw:
            continue
        info = pack.facts.get(name)
        decl = pack.symbols.facts.get(name)
        if decl is None:
            continue
        try:
            value = parse_value(raw, decl.type)
            check_share(name, decl.type, value)
        except BadValue as exc:
            errors.append(FieldError(name, f"{(info.label if info else '') or name}：{exc}"))
            continue
        out[name] = value
    if errors:
        raise ValidationFailed("填写的数据有误", errors)
    return out


def estimate(session: Session, actor: Actor, org: Organisation, measure_id: str, year: int,
             answers: Mapping[str, Any] | None = None, received: Mapping[str, Decimal] | None = None) -> Estimate:
    """The engine's answer for one organisation and measure: known facts, then the applicant's answers (and,
    when checking caps before money moves, amounts already committed to the entity)."""
    pack = policy.pack_in_force(year, org.division_code)
    measure = pack.measures.get(measure_id)
    if measure is None:
        raise ValidationFailed(f"政策包中没有措施 {measure_id}", [FieldError("measure_id", "未知的措施")])
    known = policy.entity_for(session, pack, org, year)
    facts = {**known.facts, **(answers or {}), **(received or {})}
    entity, results = policy.calculate(pack, facts, kind=org.kind, division_code=org.division_code, year=year,
                                       name=org.name)
    result = next(r for r in results if r.measure_id == measure_id)
    explanation = policy.explain(pack, entity, result)
    used = {k: entity.facts.get(k) for k in measure.facts if entity.facts.get(k) is not None}
    return Estimate(pack, measure, result, _json_facts(used), explanation, fillable_facts(measure))


def measures_for(org: Organisation, year: int) -> list[Measure]:
    """Measures an organisation of this kind may claim in the year (the pack in force where it is)."""
    pack = policy.pack_in_force(year, org.division_code)
    return [m for m in pack.measures.values()
            if (not m.beneficiary_kinds or org.kind in m.beneficiary_kinds) and m.budget_line != "none"]


# ---------------------------------------------------------------- claims: the applicant's door

def _live_key(org_id: int, measure_id: str, year: int) -> str:
    return f"{org_id}:{measure_id}:{year}"


def _refuse_duplicate(session: Session, org_id: int, measure_id: str, year: int) -> None:
    first = session.scalar(select(Claim).where(Claim.live_key == _live_key(org_id, measure_id, year)))
    if first is not None:
        raise Conflict(f"同一主体、同一措施、同一年度只能申报一次：已有申报 #{first.id}（{state_label(first.state)}）",
                       [FieldError("measure_id", f"已有申报 #{first.id}")])


def _payee(session: Session, claim: Claim, org: Organisation) -> None:
    claim.payee_name = org.name
    claim.bank_name = org.bank_name
    claim.bank_account_masked = org.bank_account_masked


def create_application(session: Session, actor: Actor, *, measure_id: str, year: int,
                       answers: Mapping[str, str] | None = None, amount: Money | None = None,
                       amount_reason: str = "") -> Claim:
    """An applicant's claim, stored with the engine's estimate and explanation; submitted separately once the
    evidence is uploaded (``submit``)."""
    if not actor.can("funds:claim:apply") or actor.org_id is None:
        raise Forbidden()
    org = get_organisation(session, actor, actor.org_id)
    if measure_id not in {m.id for m in measures_for(org, year)}:
        raise ValidationFailed(f"措施 {measure_id} 不适用于本单位", [FieldError("measure_id", "不适用于本单位")])
    pack = policy.pack_in_force(year, org.division_code)
    parsed = parse_answers(pack, pack.measures[measure_id], answers or {})
    est = estimate(session, actor, org, measure_id, year, parsed)
    if not est.result.eligible or est.amount.fen <= 0:
        raise ValidationFailed(f"按所填数据测算不符合条件或金额为零：{est.result.message or '请核对所填数据'}",
                               [FieldError("measure_id", est.result.message or "不符合条件")])
    requested = amount or est.amount
    if requested.fen <= 0:
        raise ValidationFailed("申报金额应大于零", [FieldError("amount", "应大于零")])
    if requested.fen > est.amount.fen and not amount_reason.strip():
        raise ValidationFailed(f"申报金额高于测算金额 {est.amount.format()}，请说明理由",
                               [FieldError("amount_reason", "金额高于测算金额时必须说明理由")])
    _refuse_duplicate(session, org.id, measure_id, year)
    claim = Claim(org_id=org.id, division_code=org.division_code, measure_id=measure_id,
                  measure_title=est.measure.title, pack_key=policy.pack_key(est.pack), year=year,
                  budget_line=est.measure.budget_line, live_key=_live_key(org.id, measure_id, year),
                  origin="application", state="draft", amount=requested, estimate=est.amount,
                  amount_reason=amount_reason.strip()[:500], facts_json=json.dumps(est.facts, ensure_ascii=False),
                  explanation=est.explanation, not_duplicated_group=est.measure.funding.not_duplicated_group)
    _payee(session, claim, org)
    session.add(claim)
    session.flush()
    _transition(session, actor, claim, "create", None, reason="草稿：上传材料后提交")
    return claim


def missing_evidence(session: Session, claim: Claim) -> list[str]:
    pack = policy.get_pack(claim.pack_key)
    measure = pack.measures[claim.measure_id]
    have = set(session.scalars(select(Evidence.item).where(Evidence.claim_id == claim.id)))
    return [item for item in measure.evidence if item not in have]


def submit(session: Session, actor: Actor, claim_id: int, note: str = "") -> Claim:
    """Submit (or resubmit after a return): refused with the list of evidence still missing."""
    claim = _own_claim(session, actor, claim_id)
    if claim.state not in ("draft", "returned"):
        raise Conflict(f"申报当前状态为“{state_label(claim.state)}”，不能提交")
    if claim.origin == "application":
        missing = missing_evidence(session, claim)
        if missing:
            raise ValidationFailed("缺少申报材料：" + "；".join(missing),
                                   [FieldError("evidence", item) for item in missing])
    if has_serious_violation(session, claim.org_id):
        raise Forbidden("该主体有严重失信记录，不能申报专项资金", code="credit_flag")
    first = claim.submitted_at is None
    now = clock.now()
    if first:
        claim.submitted_at = now
        claim.submitted_on = clock.today()
        claim.due_on = calendar.add_working_days(session, clock.today(), calendar.CLAIM_LIMIT_WORKING_DAYS)
    claim.return_deadline = None
    _transition(session, actor, claim, "submit" if first else "resubmit", "submitted", reason=note)
    return claim


def add_evidence(session: Session, actor: Actor, claim_id: int, *, item: str, filename: str, data: bytes,
                 folder: Any, max_bytes: int) -> Evidence:
    """Store an evidence file: size checked, type judged from the bytes (PDF, PNG, JPEG, Excel), SHA-256 kept."""
    from lishui.core.files import check_size, sniff, store

    claim = _own_claim(session, actor, claim_id)
    if claim.state not in ("draft", "returned"):
        raise Conflict("只有草稿或退回补正的申报可以上传材料")
    pack = policy.get_pack(claim.pack_key)
    items = pack.measures[claim.measure_id].evidence
    if item not in items:
        raise ValidationFailed("请选择材料类别", [FieldError("item", "不是该措施要求的材料")])
    check_size(data, max_bytes)
    sniffed = sniff(data)
    if sniffed.kind not in ("pdf", "png", "jpeg", "xlsx"):
        from lishui.core.files import UnsupportedFile

        raise UnsupportedFile("材料应为 PDF、PNG、JPEG 图片或 Excel 工作簿")
    stored, digest = store(folder, data)
    evidence = Evidence(claim_id=claim.id, item=item, filename=filename[-200:] or "file", kind=sniffed.kind,
                        media_type=sniffed.media_type, size=len(data), sha256=digest, stored_name=stored,
                        uploaded_by=actor.username)
    session.add(evidence)
    session.flush()
    _transition(session, actor, claim, "evidence", None, reason=f"{item}：{evidence.filename}")
    return evidence


def list_evidence(session: Session, actor: Actor, claim_id: int) -> list[Evidence]:
    get_claim(session, actor, claim_id)
    return list(session.scalars(select(Evidence).where(Evidence.claim_id == claim_id).order_by(Evidence.id)))


def get_evidence(session: Session, actor: Actor, evidence_id: int) -> Evidence:
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound("材料不存在")
    get_claim(session, actor, evidence.claim_id)
    return evidence


def withdraw(session: Session, actor: Actor, claim_id: int, reason: str = "") -> Claim:
    claim = _own_claim(session, actor, claim_id)
    if claim.state in ("disbursing", "paid", "rejected", "withdrawn"):
        raise Conflict(f"申报当前状态为“{state_label(claim.state)}”，不能撤回")
    if claim.state == "approved":
        _release(session, actor, claim, "申请人撤回")
    _transition(session, actor, claim, "withdraw", "withdrawn", reason=reason)
    return claim


# ---------------------------------------------------------------- review

def prelim_pass(session: Session, actor: Actor, claim_id: int, note: str = "") -> Claim:
    """Preliminary review by the county or zone office where the entity is (city units: the city)."""
    claim = _officer_claim(session, actor, claim_id, "funds:claim:review")
    if claim.state != "submitted":
        raise Conflict(f"申报当前状态为“{state_label(claim.state)}”，不在初审环节")
    if actor.scope == "city" and claim.division_code != CITY_CODE:
        raise Forbidden("初审由主体所在县（市、区）或开发区办理", code="wrong_step_office")
    claim.prelim_reviewer_id = actor.user_id
    _transition(session, actor, claim, "prelim_pass", "city_review", reason=note)
    return claim


def city_pass(session: Session, actor: Actor, claim_id: int, note: str = "") -> Claim:
    claim = _officer_claim(session, actor, claim_id, "funds:claim:review")
    if claim.state != "city_review":
        raise Conflict(f"申报当前状态为“{state_label(claim.state)}”，不在市级复审环节")
    if actor.scope != "city":
        raise Forbidden("市级复审由市级审核人员办理", code="wrong_step_office")
    if actor.user_id is not None and actor.user_id == claim.prelim_reviewer_id:
        raise Forbidden("初审人员不能同时进行市级复审", code="separation_of_duties")
    claim.city_reviewer_id = actor.user_id
    _transition(session, actor, claim, "city_pass", "city_reviewed", reason=note)
    return claim


def return_claim(session: Session, actor: Actor, claim_id: int, *, reason: str,
                 deadline: dt.date | None = None) -> Claim:
    claim = _officer_claim(session, actor, claim_id, "funds:claim:review")
    if claim.state not in ("submitted", "city_review", "city_reviewed", "notice"):
        raise Conflict(f"申报当前状态为“{state_label(claim.state)}”，不能退回")
    if not reason.strip():
        raise ValidationFailed("请说明退回理由和需要补充的内容", [FieldError("reason", "不能为空")])
    deadline = deadline or calendar.add_working_days(session, clock.today(), RETURN_DAYS)
    if deadline <= clock.today():
        raise ValidationFailed("补正期限应晚于今天", [FieldError("deadline", "应晚于今天")])
    claim.return_deadline = deadline
    claim.notice_id = None
    _transition(session, actor, claim, "return", "returned", reason=reason.strip(), deadline=deadline)
    claim.step_due_on = deadline  # the applicant's step: past it, the claim shows overdue until it lapses
    return claim


def lapse_returns(session: Session, actor: Actor, *, today: dt.date | None = None,
                  dry_run: bool = False) -> list[Claim]:
    """Returned claims whose deadline for completing them has passed (the deadline day itself still counts) are
    treated as withdrawn (逾期未补正视为撤回): the applicant is told, and may apply again. City-wide actors only;
    meant to run daily (``lishui funds lapse-returns``)."""
    if actor.scope != "city" or not (actor.user_id is None or actor.can("funds:claim:review")):
        raise Forbidden("只有市级审核人员或系统任务可以处理逾期未补正的申报")
    today = today or clock.today()
    stmt = scope_claims(select(Claim), actor).where(Claim.state == "returned", Claim.return_deadline < today)
    due = list(session.scalars(stmt.order_by(Claim.id).with_for_update()))
    if dry_run:
        return due
    for claim in due:
        _transition(session, actor, claim, "lapse", "withdrawn",
                    reason=f"补正期限 {claim.return_deadline.isoformat() if claim.return_deadline else ''} 已过，"
                           "未补正，视为撤回申请；可重新申报")
    return due


def reject(session: Session, actor: Actor, claim_id: int, *, reason: str) -> Claim:
    permission = "funds:claim:approve" if actor.can("funds:claim:approve") else "funds:claim:review"
    claim = _officer_claim(session, actor, claim_id, permission)
    if claim.state not in ("candidate", "submitted", "city_review", "city_reviewed", "notice", "returned"):
        raise Conflict(f"申报当前状态为“{state_label(claim.state)}”，不能驳回")
    if not reason.strip():
        raise ValidationFailed("请说明不予通过的理由", [FieldError("reason", "不能为空")])
    claim.reject_reason = reason.strip()[:500]
    _transition(session, actor, claim, "reject", "rejected", reason=reason.strip())
    return claim


def amend_amount(session: Session, actor: Actor, claim_id: int, *, amount: Money, reason: str) -> Claim:
    """A reviewer changes the amount: only with a reason, shown in the claim's history."""
    claim = _officer_claim(session, actor, claim_id, "funds:claim:review")
    if claim.state not in ("submitted", "city_review", "city_reviewed"):
        raise Conflict(f"申报当前状态为“{state_label(claim.state)}”，不能调整金额")
    if not reason.strip():
        raise ValidationFailed("调整金额必须说明理由", [FieldError("reason", "不能为空")])
    if amount.fen <= 0:
        raise ValidationFailed("金额应大于零", [FieldError("amount", "应大于零")])
    before = claim.amount
    claim.amount = amount
    claim.amount_reason = reason.strip()[:500]
    _transition(session, actor, claim, "amend_amount", None, reason=reason.strip(), amount_before=before,
                amount_after=amount)
    return claim


# ---------------------------------------------------------------- public notice and objections

def publish_notice(session: Session, actor: Actor, *, claim_ids: list[int] | None = None, days: int = NOTICE_DAYS,
                   title: str = "") -> Notice:
    if not actor.can("funds:notice:publish") or actor.scope != "city":
        raise Forbidden()
    if not 1 <= days <= 30:
        raise ValidationFailed("公示天数应在 1 到 30 之间", [FieldError("days", "应在 1 到 30 之间")])
    stmt = select(Claim).where(Claim.state == "city_reviewed").order_by(Claim.id).with_for_update()
    if claim_ids:
        stmt = stmt.where(Claim.id.in_(claim_ids))
    claims = list(session.scalars(stmt))
    if not claims:
        raise ValidationFailed("没有待公示的申报", [FieldError("claim_ids", "没有待公示的申报")])
    today = clock.today()
    notice = Notice(title=title or f"丽水市电子商务专项资金拟奖励（补助）名单公示（{today.isoformat()}）",
                    starts_on=today, ends_on=today + dt.timedelta(days=days), created_by=actor.username)
    session.add(notice)
    session.flush()
    for claim in claims:
        claim.notice_id = notice.id
        _transition(session, actor, claim, "notice", "notice", reason=f"公示至 {notice.ends_on.isoformat()}")
    audit.record(session, actor, "funds.notice.publish", object_type="notice", object_id=notice.id,
                 after={"claims": [c.id for c in claims], "ends_on": notice.ends_on})
    return notice


def list_notices(session: Session, limit: int = 50) -> list[Notice]:
    return list(session.scalars(select(Notice).order_by(Notice.id.desc()).limit(limit)))


def notice_claims(session: Session, notice_id: int) -> list[tuple[Claim, str]]:
    rows = session.execute(select(Claim, Organisation.name).join(Organisation, Organisation.id == Claim.org_id)
                           .where(Claim.notice_id == notice_id).order_by(Claim.id)).tuples()
    return list(rows)


def lodge_objection(session: Session, actor: Actor | None, *, claim_id: int, name: str, contact: str,
                    text: str) -> Objection:
    """Anyone may object to a claim in notice, under a real name, until the notice ends."""
    errors = []
    if not 2 <= len(name.strip()) <= 50:
        errors.append(FieldError("name", "请填写真实姓名"))
    if not 5 <= len(contact.strip()) <= 60:
        errors.append(FieldError("contact", "请填写联系电话或邮箱"))
    if not 5 <= len(text.strip()) <= 5000:
        errors.append(FieldError("text", "请说明异议内容（5 至 5000 字）"))
    if errors:
        raise ValidationFailed("异议信息不完整", errors)
    claim = session.get(Claim, claim_id)
    if claim is None or claim.state != "notice" or claim.notice_id is None:
        raise NotFound("该申报不在公示期")
    notice = session.get(Notice, claim.notice_id)
    assert notice is not None
    if clock.today() > notice.ends_on:
        raise Conflict("公示期已结束")
    objection = Objection(claim_id=claim.id, notice_id=notice.id, name=name.strip(), contact=contact.strip(),
                          text=text.strip())
    session.add(objection)
    session.flush()
    from lishui.core.actor import system_actor

    who = actor or system_actor("public")
    _transition(session, who, claim, "objection", None, reason=f"异议 #{objection.id}（实名：{objection.name}）")
    return objection


def answer_objection(session: Session, actor: Actor, objection_id: int, *, upheld: bool, answer: str) -> Objection:
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("异议不存在")
    claim = _officer_claim(session, actor, objection.claim_id, "funds:objection:answer")
    if objection.state != "open":
        raise Conflict("该异议已答复")
    if not answer.strip():
        raise ValidationFailed("请填写答复", [FieldError("answer", "不能为空")])
    objection.state = "upheld" if upheld else "dismissed"
    objection.answer = answer.strip()
    objection.answered_by = actor.username
    objection.answered_at = clock.now()
    _transition(session, actor, claim, "objection_answer", None,
                reason=f"异议 #{objection.id}：{'成立' if upheld else '不成立'}。{answer.strip()[:200]}")
    return objection


def objections(session: Session, actor: Actor, claim_id: int) -> list[Objection]:
    get_claim(session, actor, claim_id)
    return list(session.scalars(select(Objection).where(Objection.claim_id == claim_id).order_by(Objection.id)))


def open_objections(session: Session, actor: Actor, limit: int = 100) -> list[tuple[Objection, Claim]]:
    stmt = scope_claims(select(Objection, Claim).join(Claim, Claim.id == Objection.claim_id), actor)
    return list(session.execute(stmt.where(Objection.state == "open").order_by(Objection.id).limit(limit)).tuples())


# ---------------------------------------------------------------- checks before money moves, approval

def _fen(value: Any) -> int:
    """A SUM over a money column: Money through the column type, or a plain number (COALESCE's zero)."""
    if isinstance(value, Money):
        return value.fen
    return int(value or 0)


def _received_so_far(session: Session, claim: Claim, measure: Measure) -> dict[str, Decimal]:
    """What the entity already has under the measure, counting every committed claim (approved, disbursing, paid),
    not only payments: the engine's caps then apply to money promised as well as money paid."""
    base = select(func.coalesce(func.sum(Claim.amount), 0)).where(
        Claim.org_id == claim.org_id, Claim.measure_id == claim.measure_id, Claim.id != claim.id,
        Claim.state.in_(COMMITTED_STATES))
    year_total = _fen(session.scalar(base.where(Claim.year == claim.year)))
    lifetime = _fen(session.scalar(base))
    out = {received_fact(measure.id, "year"): Decimal(year_total) / 100,
           received_fact(measure.id, "lifetime"): Decimal(lifetime) / 100}
    if measure.recurrence == "per_asset":
        out[received_fact(measure.id, "asset")] = Decimal(lifetime) / 100
    return out


@dataclass
class CheckResult:
    ok: bool
    problems: list[str]


def _typed_facts(pack: Pack, facts: Mapping[str, Any]) -> dict[str, Any]:
    """A claim's stored facts (JSON: money and dates as text) typed again by the pack's declarations."""
    from lishui.policy.facts import BadValue, from_canonical

    out: dict[str, Any] = {}
    for name, value in facts.items():
        decl = pack.symbols.facts.get(name)
        if isinstance(value, str) and decl is not None:
            try:
                value = from_canonical(value, decl.type)
            except BadValue:
                continue
        out[name] = value
    return out


def pre_money_checks(session: Session, claim: Claim) -> list[str]:
    """What refuses an approval: credit flag, caps, the not-duplicated groups and 就高不重复."""
    problems = []
    if has_serious_violation(session, claim.org_id):
        problems.append("该主体有严重失信记录（信用状态），不能获得专项资金")
    pack = policy.get_pack(claim.pack_key)
    measure = pack.measures[claim.measure_id]
    if measure.caps or measure.funding.includes_provincial:
        # The engine again, counting approved claims as received: its caps and its deduction of the provincial
        # part (S4) give the most this claim may still be.
        org = get_organisation_unscoped(session, claim.org_id)
        assert org is not None
        from lishui.core.actor import system_actor

        est = estimate(session, system_actor("funds-check"), org, claim.measure_id, claim.year,
                       _typed_facts(pack, json.loads(claim.facts_json or "{}")),
                       received=_received_so_far(session, claim, measure))
        allowed = Money.yuan(est.result.amount) if est.result.eligible else Money(0)
        if claim.amount.fen > allowed.fen:
            limits = [c["label"] for c in est.result.caps if c.get("binding")]
            limits += [d["label"] for d in est.result.deductions if Decimal(d["granted"]) > 0]
            counted = "已批准和已支付的金额" + ("及省级补助" if measure.funding.includes_provincial else "")
            problems.append(f"超过上限：计入{counted}后，本笔最多 {allowed.format()}"
                            f"（{'；'.join(limits) or est.result.message or '上限'}）")
    group = claim.not_duplicated_group
    if group:
        siblings = list(session.scalars(select(Claim).where(
            Claim.org_id == claim.org_id, Claim.year == claim.year, Claim.not_duplicated_group == group,
            Claim.id != claim.id, Claim.state.not_in(("rejected", "withdrawn")))))
        for other in siblings:
            if other.state in COMMITTED_STATES:
                problems.append(f"不重复享受：该主体已就同一事项获批申报 #{other.id}（{other.measure_id}），"
                                f"{claim.measure_id} 与之只能择一")
            elif other.amount.fen > claim.amount.fen:
                problems.append(f"就高不重复：该主体同一事项的申报 #{other.id}（{other.measure_id}）金额更高"
                                f"（{other.amount.format()}），应就高享受")
    return problems


def _split(session: Session, claim: Claim, measure: Measure) -> tuple[Money, Money]:
    if measure.funding.bearer == "city":
        return claim.amount, Money(0)
    share = cost_shares(session, claim.year).get(claim.division_code)
    if share is None:
        return claim.amount, Money(0)
    city = int((Decimal(claim.amount.fen) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return Money(city), Money(claim.amount.fen - city)


def approve(session: Session, actor: Actor, claim_id: int, note: str = "") -> Claim:
    """Approve after the notice, committing the amount against the budget line under the line's row lock."""
    claim = _officer_claim(session, actor, claim_id, "funds:claim:approve")
    if claim.state != "notice":
        raise Conflict(f"申报当前状态为“{state_label(claim.state)}”，公示结束后才能批准")
    if actor.user_id is not None and actor.user_id in (claim.prelim_reviewer_id, claim.city_reviewer_id):
        raise Forbidden("审核过该申报的人员不能批准该申报（职责分离）", code="separation_of_duties")
    notice = session.get(Notice, claim.notice_id) if claim.notice_id else None
    if notice is not None and clock.today() < notice.ends_on:
        raise Conflict(f"公示期至 {notice.ends_on.isoformat()}，公示结束后才能批准")
    pending = session.scalars(select(Objection).where(Objection.claim_id == claim.id)).all()
    if any(o.state == "open" for o in pending):
        raise Conflict("该申报有尚未答复的异议，答复后才能批准")
    if any(o.state == "upheld" for o in pending):
        raise Conflict("该申报的异议成立，不能批准：请退回或驳回")
    problems = pre_money_checks(session, claim)
    if problems:
        raise Conflict("不能批准：" + "；".join(problems), [FieldError("claim", p) for p in problems])
    line_ref = line_for(session, claim.year, claim.budget_line)
    if line_ref is None:
        raise Conflict(f"{claim.year} 年度没有“{claim.budget_line}”预算行")
    line = _lock_line(session, line_ref.id)
    if line.available.fen < claim.amount.fen:
        raise BudgetExhausted(line, claim.amount)
    allocation = session.scalar(select(MeasureAllocation).where(MeasureAllocation.line_id == line.id,
                                                                MeasureAllocation.measure_id == claim.measure_id))
    if allocation is not None:
        used = _fen(session.scalar(select(func.coalesce(func.sum(Claim.amount), 0)).where(
            Claim.line_id == line.id, Claim.measure_id == claim.measure_id,
            Claim.state.in_(COMMITTED_STATES))))
        if used + claim.amount.fen > allocation.amount.fen:
            raise Conflict(f"措施 {claim.measure_id} 的年度分配额度不足：分配 {allocation.amount.format()}，"
                           f"已用 {Money(used).format()}")
    pack = policy.get_pack(claim.pack_key)
    claim.city_part, claim.county_part = _split(session, claim, pack.measures[claim.measure_id])
    ledger.post(session, actor, line, "commitment", claim.amount, claim_id=claim.id,
                memo=f"批准申报 #{claim.id} {claim.measure_id}")
    claim.line_id = line.id
    claim.approver_id = actor.user_id
    _transition(session, actor, claim, "approve", "approved", reason=note)
    return claim


def _release(session: Session, actor: Actor, claim: Claim, memo: str) -> None:
    if claim.line_id is None:
        return
    line = _lock_line(session, claim.line_id)
    ledger.post(session, actor, line, "release", claim.amount, claim_id=claim.id, memo=memo)


def revoke_approval(session: Session, actor: Actor, claim_id: int, *, reason: str) -> Claim:
    """An approver takes an approval back before payment: the commitment is released."""
    claim = _officer_claim(session, actor, claim_id, "funds:claim:approve")
    if claim.state != "approved":
        raise Conflict("只有已批准、尚未拨付的申报可以撤销批准")
    if not reason.strip():
        raise ValidationFailed("请说明理由", [FieldError("reason", "不能为空")])
    _release(session, actor, claim, f"撤销批准：{reason.strip()[:200]}")
    claim.reject_reason = reason.strip()[:500]
    _transition(session, actor, claim, "reject", "rejected", reason=reason.strip())
    return claim


# ---------------------------------------------------------------- lists

@dataclass
class QueueFilter:
    state: str = ""
    division_code: str = ""
    measure_id: str = ""
    year: int | None = None
    min_age_days: int | None = None  # only claims waiting at their step at least this many days
    overdue: bool = False
    q: str = ""
    page: int = 1
    per_page: int = 50


def queue(session: Session, actor: Actor, f: QueueFilter) -> tuple[list[tuple[Claim, str]], int]:
    stmt = scope_claims(select(Claim, Organisation.name).join(Organisation, Organisation.id == Claim.org_id), actor)
    if f.state:
        stmt = stmt.where(Claim.state == f.state)
    if f.division_code:
        stmt = stmt.where(Claim.division_code == f.division_code)
    if f.measure_id:
        stmt = stmt.where(Claim.measure_id == f.measure_id)
    if f.year:
        stmt = stmt.where(Claim.year == f.year)
    if f.min_age_days:
        stmt = stmt.where(Claim.state_changed_at <= clock.now() - dt.timedelta(days=f.min_age_days))
    if f.overdue:
        stmt = stmt.where(or_(Claim.step_due_on < clock.today(), Claim.due_on < clock.today()),
                          Claim.state.not_in(TERMINAL_STATES))
    if f.q:
        stmt = stmt.where(Organisation.name.like(f"%{f.q.strip()[:50]}%"))
    total = session.scalar(select(func.count()).select_from(stmt.with_only_columns(Claim.id).subquery())) or 0
    per_page = max(1, min(f.per_page, 200))
    rows = session.execute(stmt.order_by(Claim.state_changed_at, Claim.id)
                           .offset((max(1, f.page) - 1) * per_page).limit(per_page)).tuples()
    return list(rows), total


def waiting_counts(session: Session, actor: Actor) -> dict[str, int]:
    """What waits on this actor, counted within its scope: its organisation's claims by state (candidate,
    returned, draft); ``queue:<state>`` for the review step it acts at (county officers the preliminary review, the
    city the second review, publishers the notice); ``overdue`` steps; open ``objections``."""
    out: dict[str, int] = {}
    if actor.can("funds:claim:apply") and actor.org_id is not None:
        out.update(session.execute(select(Claim.state, func.count()).where(
            Claim.org_id == actor.org_id, Claim.state.in_(("candidate", "returned", "draft")))
            .group_by(Claim.state)).tuples().all())
    if actor.scope not in ("city", "division"):
        return out
    steps = []
    if actor.can("funds:claim:review"):
        steps.append("submitted" if actor.scope == "division" else "city_review")
    if actor.can("funds:notice:publish") and actor.scope == "city":
        steps.append("city_reviewed")
    for state in steps:
        out[f"queue:{state}"] = session.scalar(scope_claims(select(func.count()).select_from(Claim), actor)
                                               .where(Claim.state == state)) or 0
    if actor.can("funds:claim:review") or actor.can("funds:claim:approve"):
        out["overdue"] = session.scalar(scope_claims(select(func.count()).select_from(Claim), actor).where(
            or_(Claim.step_due_on < clock.today(), Claim.due_on < clock.today()),
            Claim.state.not_in(TERMINAL_STATES))) or 0
        out["objections"] = len(open_objections(session, actor))
    return out


def my_claims(session: Session, actor: Actor) -> list[Claim]:
    if actor.org_id is None:
        return []
    return list(session.scalars(select(Claim).where(Claim.org_id == actor.org_id).order_by(Claim.id.desc())))


def countdown(session: Session, claim: Claim) -> int | None:
    """Working days left of the 60-working-day limit (negative: overdue); None before submission or when paid."""
    if claim.due_on is None or claim.state in TERMINAL_STATES:
        return None
    return calendar.working_days_between(session, clock.today(), claim.due_on)


def published_awards(session: Session, year: int | None = None, limit: int = 500) -> list[tuple[Claim, str]]:
    stmt = (select(Claim, Organisation.name).join(Organisation, Organisation.id == Claim.org_id)
            .where(Claim.state.in_(COMMITTED_STATES)).order_by(Claim.id.desc()).limit(limit))
    if year:
        stmt = stmt.where(Claim.year == year)
    return list(session.execute(stmt).tuples())


def payee_account(session: Session, claim: Claim) -> str:
    """The full bank account of the claim's payee, for the bank file (finance only; the export is audited)."""
    from lishui.registry.service import bank_context

    org = get_organisation_unscoped(session, claim.org_id)
    if org is None or not org.bank_account_cipher:
        return ""
    return cipher_of(session).decrypt(org.bank_account_cipher, bank_context(org.uscc))
