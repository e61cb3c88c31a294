"""County assessment (考核): a scoring scheme an officer configures, scorecards and the ranking of the nine
counties and the zone per year, sortable by score and by improvement on the year before."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lishui.assessment import indicators, targets
from lishui.assessment import tasks as task_service
from lishui.assessment.models import Scheme
from lishui.core import audit
from lishui.core.actor import Actor
from lishui.core.errors import FieldError, NotFound, ValidationFailed

TASKS = "tasks"  # the pseudo-indicator of the responsibility-task rule
RULES = {
    "attainment": ("目标完成率（封顶100%）", "Target attainment (capped at 100%)"),
    "rank": ("排名计分（第1名得满分，每降一名减 1/N）", "Rank points (first: full weight, each rank lower: 1/N less)"),
    "growth": ("增幅排名计分（较上年增长率）", "Growth rank points (change on the year before)"),
    "tasks": ("责任任务完成情况", "Responsibility tasks"),
}
DEFAULT_ITEMS: tuple[dict[str, Any], ...] = (
    {"indicator": "city_online_retail", "weight": "30", "rule": "attainment"},
    {"indicator": "city_online_retail", "weight": "10", "rule": "growth"},
    {"indicator": "rural_stations", "weight": "20", "rule": "attainment"},
    {"indicator": "taobao_villages", "weight": "10", "rule": "rank"},
    {"indicator": "online_shops", "weight": "10", "rule": "rank"},
    {"indicator": TASKS, "weight": "20", "rule": "tasks"},
)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Item:
    indicator: str
    weight: Decimal
    rule: str

    @property
    def label(self) -> str:
        if self.indicator == TASKS:
            return "责任任务"
        return indicators.INDICATORS[self.indicator].label

    def as_dict(self) -> dict[str, str]:
        return {"indicator": self.indicator, "weight": str(self.weight), "rule": self.rule}


def parse_items(raw: list[dict[str, Any]]) -> list[Item]:
    """Check a scheme: known indicators and rules, positive weights adding up to 100, no item twice."""
    errors: list[FieldError] = []
    items: list[Item] = []
    seen: set[tuple[str, str]] = set()
    for n, entry in enumerate(raw, start=1):
        indicator, rule = str(entry.get("indicator", "")).strip(), str(entry.get("rule", "")).strip()
        try:
            weight = Decimal(str(entry.get("weight", "")).strip())
        except InvalidOperation:
            errors.append(FieldError(f"items[{n}].weight", "权重应为数字", n))
            continue
        if rule not in RULES:
            errors.append(FieldError(f"items[{n}].rule", f"未知的计分规则“{rule}”", n))
        elif (rule == "tasks") != (indicator == TASKS):
            errors.append(FieldError(f"items[{n}].rule", "“责任任务”只能用责任任务计分规则", n))
        if indicator != TASKS and indicator not in indicators.INDICATORS:
            errors.append(FieldError(f"items[{n}].indicator", f"未知指标“{indicator}”", n))
        if not weight.is_finite() or weight <= 0:
            errors.append(FieldError(f"items[{n}].weight", "权重应大于0", n))
        if (indicator, rule) in seen:
            errors.append(FieldError(f"items[{n}].indicator", "同一指标、同一规则重复", n))
        seen.add((indicator, rule))
        items.append(Item(indicator, weight, rule))
    if not raw:
        errors.append(FieldError("items", "至少需要一个考核指标"))
    total = sum((i.weight for i in items), Decimal(0))
    if not errors and total != HUNDRED:
        errors.append(FieldError("items", f"权重合计应为100，现为 {total.normalize():f}"))
    if errors:
        raise ValidationFailed("考核方案有误", errors)
    return items


def current_scheme(session: Session, year: int) -> tuple[Scheme | None, list[Item]]:
    scheme = session.scalar(select(Scheme).where(Scheme.year == year).order_by(Scheme.version.desc()).limit(1))
    if scheme is None:
        return None, parse_items(list(DEFAULT_ITEMS))
    return scheme, parse_items(json.loads(scheme.items))


def save_scheme(session: Session, actor: Actor, *, year: int, name: str, items: list[dict[str, Any]]) -> Scheme:
    parsed = parse_items(items)
    if not 2000 <= year <= 2100:
        raise ValidationFailed("年度有误", [FieldError("year", "应为 2000 至 2100")])
    before, _ = current_scheme(session, year)
    scheme = Scheme(year=year, version=(before.version + 1) if before else 1,
                    name=(name.strip() or f"{year}年度考核方案")[:100],
                    items=json.dumps([i.as_dict() for i in parsed], ensure_ascii=False), created_by=actor.username)
    session.add(scheme)
    session.flush()
    audit.record(session, actor, "assessment.scheme.save", object_type="scheme", object_id=f"{year}/v{scheme.version}",
                 before=json.loads(before.items) if before else None, after=[i.as_dict() for i in parsed])
    return scheme


# ---------------------------------------------------------------- scorecards

@dataclass
class Line:
    item: Item
    actual: Decimal | None
    goal: Decimal | None = None
    ratio: Decimal | None = None  # 0..1 share of the weight earned
    points: Decimal = Decimal(0)
    note: str = ""


@dataclass
class Scorecard:
    division: str
    name: str
    lines: list[Line] = field(default_factory=list)
    previous: Decimal | None = None
    rank: int = 0

    @property
    def total(self) -> Decimal:
        return sum((line.points for line in self.lines), Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def improvement(self) -> Decimal | None:
        return None if self.previous is None else self.total - self.previous


def jurisdictions() -> dict[str, str]:
    return {code: name for code, name in indicators.divisions().items() if code != "331100"}


def _rank_points(values: dict[str, Decimal], weight: Decimal, n: int) -> dict[str, tuple[int, Decimal]]:
    ordered = sorted(values.items(), key=lambda kv: kv[1], reverse=True)
    out: dict[str, tuple[int, Decimal]] = {}
    rank = 0
    last: Decimal | None = None
    for position, (division, value) in enumerate(ordered, start=1):
        if value != last:
            rank, last = position, value  # equal values share a rank
        out[division] = (rank, weight * (n - rank + 1) / n)
    return out


def compute(session: Session, year: int, *, with_previous: bool = True) -> list[Scorecard]:
    """Every jurisdiction's scorecard for a year, ranked by total."""
    _, items = current_scheme(session, year)
    names = jurisdictions()
    cards = {code: Scorecard(code, name) for code, name in names.items()}
    pack = targets.default_pack()
    split = targets.breakdowns(session, pack)
    n = len(names)
    summary = task_service.division_task_summary(session, year)
    codes = [item.indicator for item in items if item.rule != "tasks"]
    tables = indicators.value_tables(session, codes, list(names), [str(year - 1), str(year)]) if codes else {}

    def values_of(indicator: str, in_year: int) -> dict[str, Decimal]:
        return {d: v.value for (d, p), v in tables[indicator].items() if p == str(in_year)}

    for item in items:
        if item.rule == "tasks":
            for code, card in cards.items():
                count, score, overdue = summary.get(code, (0, 1.0, 0))
                ratio = Decimal(str(round(score, 4)))
                card.lines.append(Line(item, Decimal(count), ratio=ratio, points=item.weight * ratio,
                                       note=f"{count} 项任务，逾期 {overdue} 项" if count else "无任务"))
            continue
        values = values_of(item.indicator, year)
        if item.rule == "attainment":
            leaf = next((t for t in targets.leaves(pack) if t.indicator == item.indicator), None)
            for code, card in cards.items():
                goal = split.get((leaf.id, code)) if leaf else None
                actual = values.get(code)
                if goal is None or goal <= 0:
                    card.lines.append(Line(item, actual, note="未分解目标"))
                elif actual is None:
                    card.lines.append(Line(item, None, goal, note="无数据"))
                else:
                    ratio = min(actual / goal, Decimal(1))
                    card.lines.append(Line(item, actual, goal, ratio, item.weight * ratio))
        else:
            if item.rule == "growth":
                before = values_of(item.indicator, year - 1)
                measured = {d: (v - before[d]) / before[d] for d, v in values.items() if before.get(d)}
            else:
                measured = values
            ranks = _rank_points(measured, item.weight, n)
            for code, card in cards.items():
                if code in ranks:
                    rank, points = ranks[code]
                    card.lines.append(Line(item, measured[code], ratio=points / item.weight, points=points,
                                           note=f"第{rank}名"))
                else:
                    card.lines.append(Line(item, None, note="无数据"))
    for card in cards.values():
        for line in card.lines:
            line.points = line.points.quantize(CENT, rounding=ROUND_HALF_UP)
    if with_previous:
        previous = {c.division: c.total for c in compute(session, year - 1, with_previous=False)}
        for card in cards.values():
            if any(line.actual is not None and line.item.rule != "tasks" for line in card.lines):
                card.previous = previous.get(card.division)
    ranked = sorted(cards.values(), key=lambda c: c.total, reverse=True)
    for position, card in enumerate(ranked, start=1):
        # equal totals share a rank (1, 1, 3, ...)
        card.rank = ranked[position - 2].rank if position > 1 and ranked[position - 2].total == card.total \
            else position
    return ranked


def ranking(session: Session, year: int, sort: str = "score") -> list[Scorecard]:
    cards = compute(session, year)
    if sort == "improvement":
        return sorted(cards, key=lambda c: (c.improvement is not None, c.improvement or 0), reverse=True)
    return cards


def scorecard(session: Session, actor: Actor, year: int, division: str) -> Scorecard:
    """One jurisdiction's scorecard in detail: a county officer sees only its own."""
    if actor.scope != "city" and not (actor.scope == "division" and actor.scope_division == division):
        raise NotFound("考核结果不存在")
    for card in compute(session, year):
        if card.division == division:
            return card
    raise NotFound("考核结果不存在")
