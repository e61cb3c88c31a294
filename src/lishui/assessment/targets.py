"""The 2018 targets (T1–T7, data in the pack): county breakdowns, progress, the straight-line trajectory from
the baseline to the target, and a forecast: on track / at risk / off track."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lishui.assessment import indicators
from lishui.assessment.models import TargetBreakdown
from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.errors import FieldError, NotFound, ValidationFailed
from lishui.policy import service as policy
from lishui.policy.pack.model import Pack, Target
from lishui.registry import CITY_CODE

AT_RISK_SHARE = Decimal("0.9")  # a forecast within 10% of the target is "at risk", further below "off track"
STATUS = {"achieved": ("已完成", "Achieved", "badge-ok"), "on_track": ("进度正常", "On track", "badge-ok"),
          "at_risk": ("有风险", "At risk", "badge-warn"), "off_track": ("滞后", "Off track", "badge-bad"),
          "no_data": ("无数据", "No data", "badge-muted"), "no_target": ("未分解目标", "No target set", "badge-muted")}


def default_pack() -> Pack:
    return policy.resolve_pack("lishui-2015")


def leaves(pack: Pack) -> list[Target]:
    """Every measurable target: T2, T3, T4 themselves, the parts of T1, T5, T6, T7."""
    out: list[Target] = []
    for target in pack.targets:
        out += list(target.parts) if target.parts else [target]
    return out


def find(pack: Pack, target_id: str) -> Target:
    for target in leaves(pack):
        if target.id == target_id:
            return target
    raise NotFound(f"目标“{target_id}”不存在")


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        return Decimal(1 if value else 0)
    return Decimal(str(value))


def breakdowns(session: Session, pack: Pack) -> dict[tuple[str, str], Decimal]:
    rows = session.scalars(select(TargetBreakdown).where(TargetBreakdown.pack_id == pack.id))
    return {(b.target_id, b.division_code): Decimal(b.value) for b in rows}


def set_breakdown(session: Session, actor: Actor, pack: Pack, *, target_id: str, division: str,
                  value: str) -> TargetBreakdown:
    target = find(pack, target_id)
    if division not in indicators.divisions() or division == CITY_CODE:
        raise ValidationFailed("地区有误", [FieldError("division", "应为所辖县（市、区）或开发区")])
    info = indicators.INDICATORS.get(target.indicator)
    try:
        if info is None:
            raise ValueError("该目标没有对应的指标")
        number = indicators._number(value, info)
    except ValueError as exc:
        raise ValidationFailed("分解目标有误", [FieldError("value", str(exc))]) from None
    found = session.scalar(select(TargetBreakdown).where(
        TargetBreakdown.pack_id == pack.id, TargetBreakdown.target_id == target_id,
        TargetBreakdown.division_code == division))
    before = found.value if found else None
    if found is None:
        found = TargetBreakdown(pack_id=pack.id, target_id=target_id, division_code=division, value=number,
                                set_by=actor.username)
        session.add(found)
    else:
        found.value, found.set_by, found.set_at = number, actor.username, clock.now()
    session.flush()
    audit.record(session, actor, "assessment.target.breakdown", object_type="target",
                 object_id=f"{pack.id}/{target_id}/{division}", before={"value": before}, after={"value": number})
    return found


@dataclass
class Progress:
    target: Target
    division: str
    goal: Decimal | None
    baseline: tuple[int, Decimal] | None
    latest: tuple[int, Decimal] | None
    expected: Decimal | None  # on the straight line from the baseline to the goal, in the latest year
    forecast: Decimal | None  # the trend from the baseline to the latest value, carried on to the target year
    status: str
    public: bool  # the latest value is a public figure, not reported data

    @property
    def attainment(self) -> Decimal | None:
        if self.goal in (None, 0) or self.latest is None:
            return None
        assert self.goal is not None
        return self.latest[1] / self.goal

    @property
    def percent(self) -> int | None:
        share = self.attainment
        return None if share is None else int((share * 100).to_integral_value())


def goal_for(target: Target, division: str, split: dict[tuple[str, str], Decimal]) -> Decimal | None:
    if division == CITY_CODE:
        return None if target.value is None else _decimal(target.value)
    return split.get((target.id, division))


def progress(session: Session, pack: Pack, division: str = CITY_CODE, as_of: int | None = None) -> list[Progress]:
    as_of = as_of or clock.today().year
    split = breakdowns(session, pack)
    years = [str(y) for y in range(2010, as_of + 1)]
    out = []
    found = leaves(pack)
    tables = indicators.value_tables(session, [t.indicator for t in found], [division], years)
    for target in found:
        goal = goal_for(target, division, split)
        values = tables[target.indicator]
        series = sorted((int(p), v) for (_, p), v in values.items())
        out.append(_assess(target, division, goal, series))
    return out


def _assess(target: Target, division: str, goal: Decimal | None,
            series: list[tuple[int, indicators.Value]]) -> Progress:
    if not series:
        return Progress(target, division, goal, None, None, None, None, "no_data" if goal is not None else
                        "no_target", False)
    baseline = (series[0][0], series[0][1].value)
    latest = (series[-1][0], series[-1][1].value)
    public = series[-1][1].is_public
    if goal is None:
        return Progress(target, division, None, baseline, latest, None, None, "no_target", public)
    year = target.year
    expected = forecast = None
    if latest[1] >= goal:
        status = "achieved"
    elif target.comparison == "==":  # a yes/no target not yet done
        status = "off_track" if latest[0] >= year else "at_risk"
    else:
        if latest[0] > baseline[0]:
            span = Decimal(year - baseline[0]) or Decimal(1)
            expected = baseline[1] + (goal - baseline[1]) * (latest[0] - baseline[0]) / span
            slope = (latest[1] - baseline[1]) / (latest[0] - baseline[0])
            forecast = latest[1] + slope * max(0, year - latest[0])
        if forecast is None:
            status = "at_risk"
        elif forecast >= goal:
            status = "on_track"
        elif forecast >= goal * AT_RISK_SHARE:
            status = "at_risk"
        else:
            status = "off_track"
    return Progress(target, division, goal, baseline, latest, expected, forecast, status, public)

