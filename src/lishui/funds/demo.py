"""Demo data for the special fund: the 2017 budget partly spent, claims in every state across several measures,
one objection under review, one bounced payment. Deterministic; run after the policy demo (its facts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lishui.core import clock
from lishui.core.actor import Actor
from lishui.core.errors import DomainError
from lishui.core.money import Money
from lishui.funds import candidates, payments, service
from lishui.funds.models import Budget, Claim, Holiday, Payment
from lishui.policy import service as policy
from lishui.policy.facts import canonical
from lishui.policy.models import PolicyFact
from lishui.registry import CITY_CODE, Organisation

DEMO_YEAR = 2017
HOLIDAYS = [(dt.date(2026, 10, d), "国庆节", False) for d in range(1, 9)] + [
    (dt.date(2026, 9, 27), "国庆节调休上班", True), (dt.date(2026, 10, 10), "国庆节调休上班", True),
    (dt.date(2027, 1, 1), "元旦", False)]


@dataclass
class DemoFunds:
    claims: dict[str, int] = field(default_factory=dict)  # state -> count


def _as(role: str, scope: str, division: str | None = None, org_id: int | None = None) -> Actor:
    perms = {"funds:claim:apply"} if scope == "org" else {"*"}
    return Actor(user_id=None, username=f"demo-{role}", display_name="演示", role=role, org_id=org_id,
                 permissions=frozenset(perms), scope=scope,  # type: ignore[arg-type]
                 scope_division=division)


def _org_actor(org_id: int) -> Actor:
    return _as("enterprise_user", "org", org_id=org_id)


def generate(session: Session, actor: Actor, *, demo_enterprise: int | None = None) -> DemoFunds:
    out = DemoFunds()
    if session.scalar(select(Budget.id).where(Budget.year == DEMO_YEAR)) is not None:
        return out
    for day, name, workday in HOLIDAYS:
        if session.get(Holiday, day) is None:
            session.add(Holiday(day=day, name=name, is_workday=workday))
    service.create_budget(session, actor, year=DEMO_YEAR, lines={
        ("general", "city"): Money.yuan(17_000_000), ("rural", "city"): Money.yuan(3_000_000),
        ("general", "provincial"): Money.yuan(500_000)})
    if demo_enterprise is not None:
        _facts_for(session, demo_enterprise)
    city_run = policy.run_batch(session, actor, policy.resolve_pack("lishui-2015"), DEMO_YEAR)
    candidates.create_candidates(session, actor, city_run.id)
    try:
        jinyun = policy.resolve_pack("jinyun-2016")
        run = policy.run_batch(session, _as("county_officer", "division", "331122"), jinyun, DEMO_YEAR)
        candidates.create_candidates(session, _as("county_officer", "division", "331122"), run.id)
    except Exception:  # noqa: S110 - the county pack is optional demo colour
        pass
    claims = list(session.scalars(select(Claim).where(Claim.state == "candidate", Claim.year == DEMO_YEAR)
                                  .order_by(Claim.measure_id, Claim.id)))
    banked = {o.id for o in session.scalars(select(Organisation).where(Organisation.bank_account_masked != ""))}
    usable = [c for c in claims if c.org_id in banked and c.org_id != demo_enterprise]
    # Spread the states over the measures: round-robin across measures so every state shows several.
    by_measure: dict[str, list[Claim]] = {}
    for c in usable:
        by_measure.setdefault(c.measure_id, []).append(c)
    ordered: list[Claim] = []
    while any(by_measure.values()):
        for key in sorted(by_measure):
            if by_measure[key]:
                ordered.append(by_measure[key].pop(0))
    plan = (["paid"] * 14 + ["bounced"] + ["disbursing"] * 3 + ["approved"] * 5 + ["notice_objection"]
            + ["notice"] * 3 + ["city_reviewed"] * 2 + ["city_review"] * 4 + ["submitted"] * 8 + ["returned"] * 2
            + ["rejected"] * 2 + ["withdrawn"])
    # The demo reviewer works in 缙云县 (331122): two claims wait there for the preliminary review.
    local = [c for c in ordered if c.division_code == "331122"][:2]
    ordered = [c for c in ordered if c not in local]
    targets = [("submitted", c) for c in local] + list(zip(plan, ordered, strict=False))
    _drive(session, targets)
    _draft(session)
    for state in service.STATES:
        out.claims[state] = len(session.scalars(select(Claim.id).where(Claim.state == state)).all())
    return out


def _facts_for(session: Session, org_id: int) -> None:
    """The demo enterprise account's organisation: online retail growth (M22), so it has a candidate to confirm."""
    org = session.get(Organisation, org_id)
    if org is None or session.scalar(select(PolicyFact.id).where(PolicyFact.org_id == org_id,
                                                                 PolicyFact.year == DEMO_YEAR).limit(1)):
        return
    facts = {"online_retail_included": True, "first_included_year": DEMO_YEAR - 2,
             "online_retail_base": Decimal(12_000_000), "online_retail": Decimal(23_500_000)}
    for name, value in facts.items():
        session.add(PolicyFact(org_id=org_id, year=DEMO_YEAR, name=name, value=canonical(value), revision=1,
                               source="import", note="演示数据", recorded_by="demo"))
    session.flush()


def _draft(session: Session) -> None:
    """A draft application (waiting for its evidence): a new claim where a withdrawn or rejected one freed the
    entity, measure and period."""
    for claim in session.scalars(select(Claim).where(Claim.state.in_(("withdrawn", "rejected"))).order_by(Claim.id)):
        try:
            with session.begin_nested():
                service.create_application(session, _org_actor(claim.org_id), measure_id=claim.measure_id,
                                           year=claim.year)
            return
        except DomainError:
            continue


def _drive(session: Session, targets: list[tuple[str, Claim]]) -> None:
    reviewer_city = _as("city_officer", "city")
    approver = _as("approver", "city")
    finance = _as("finance_officer", "city")
    to_pay: list[tuple[str, Claim]] = []
    past_notice: list[Claim] = []
    for target, claim in targets:
        applicant = _org_actor(claim.org_id)
        county = _as("reviewer", "division" if claim.division_code != CITY_CODE else "city", claim.division_code)
        candidates.confirm(session, applicant, claim.id, account_confirmed=True)
        if target == "submitted":
            continue
        if target in ("returned", "rejected"):
            if target == "returned":
                service.return_claim(session, county, claim.id, reason="请补充统计部门出具的年度数据证明")
            else:
                service.reject(session, county, claim.id, reason="经核实，不符合申报条件")
            continue
        if target == "withdrawn":
            service.withdraw(session, applicant, claim.id, reason="企业主动撤回")
            continue
        service.prelim_pass(session, county, claim.id, "材料齐全，数据核实无误")
        if target == "city_review":
            continue
        service.city_pass(session, reviewer_city, claim.id, "复审通过")
        if target == "city_reviewed":
            continue
        if target in ("notice", "notice_objection"):
            service.publish_notice(session, reviewer_city, claim_ids=[claim.id])
            if target == "notice_objection":
                service.lodge_objection(session, None, claim_id=claim.id, name="王建国", contact="13905780000",
                                        text="该企业的网络零售额中包含关联企业的销售，请核实。")
            continue
        past_notice.append(claim)
        to_pay.append((target, claim))
    if past_notice:
        with clock.shifted(dt.timedelta(days=-10)):
            service.publish_notice(session, reviewer_city, claim_ids=[c.id for c in past_notice])
    for _target, claim in to_pay:
        service.approve(session, approver, claim.id, "公示期满无异议")
    paying = [c.id for t, c in to_pay if t in ("paid", "bounced", "disbursing")]
    if not paying:
        return
    batch = payments.create_batch(session, finance, year=DEMO_YEAR, claim_ids=paying)
    outcome = {c.id: t for t, c in to_pay}
    for payment in session.scalars(select(Payment).where(Payment.batch_id == batch.id).order_by(Payment.id)):
        target = outcome[payment.claim_id]
        if target == "paid":
            payments.mark_paid(session, finance, payment, f"ZJRC{DEMO_YEAR}{payment.id:08d}")
        elif target == "bounced":
            payments.bounce(session, finance, payment, f"ZJRC{DEMO_YEAR}R{payment.id:07d}", "收款账户已销户")

