"""Budget execution: by line, measure, county and month; the published awards; the Excel export."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lishui.core.money import Money
from lishui.funds.models import BudgetLine, Claim, JournalEntry, JournalLine, MeasureAllocation
from lishui.funds.service import COMMITTED_STATES, cost_shares


@dataclass
class Execution:
    year: int
    lines: list[BudgetLine] = field(default_factory=list)
    by_measure: list[dict[str, Any]] = field(default_factory=list)
    by_county: list[dict[str, Any]] = field(default_factory=list)
    by_month: list[dict[str, Any]] = field(default_factory=list)
    cost_shares: dict[str, Any] = field(default_factory=dict)  # division -> the city's share (S3)
    allocations: list[tuple[BudgetLine, str, Money]] = field(default_factory=list)  # line, measure, amount

    def totals(self) -> dict[str, Money]:
        return {name: Money(sum(getattr(line, name).fen for line in self.lines if line.source == "city"))
                for name in ("appropriated", "committed", "spent", "available")}


def execution(session: Session, year: int) -> Execution:
    out = Execution(year)
    out.lines = list(session.scalars(select(BudgetLine).where(BudgetLine.year == year).order_by(BudgetLine.id)))
    out.cost_shares = cost_shares(session, year)
    lines = {line.id: line for line in out.lines}
    out.allocations = [(lines[a.line_id], a.measure_id, a.amount) for a in session.scalars(
        select(MeasureAllocation).where(MeasureAllocation.line_id.in_(list(lines))).order_by(
            MeasureAllocation.measure_id))]
    measure: dict[str, dict[str, Any]] = {}
    county: dict[str, dict[str, Any]] = {}
    rows = session.execute(select(Claim.measure_id, Claim.measure_title, Claim.division_code, Claim.state,
                                  Claim.amount, Claim.city_part, Claim.county_part)
                           .where(Claim.year == year, Claim.state.in_(COMMITTED_STATES)))
    for measure_id, title, division, state, amount, city_part, county_part in rows:
        m = measure.setdefault(measure_id, {"measure": measure_id, "title": title, "claims": 0, "committed": 0,
                                            "spent": 0})
        c = county.setdefault(division, {"division": division, "claims": 0, "committed": 0, "spent": 0,
                                         "city_part": 0, "county_part": 0})
        for bucket in (m, c):
            bucket["claims"] += 1
            bucket["spent" if state == "paid" else "committed"] += amount.fen
        c["city_part"] += city_part.fen
        c["county_part"] += county_part.fen
    out.by_measure = [measure[k] for k in sorted(measure)]
    out.by_county = [county[k] for k in sorted(county)]
    months: dict[tuple[int, int], int] = defaultdict(int)
    spent = session.execute(select(JournalEntry.created_at, JournalLine.amount_fen)
                            .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
                            .where(JournalEntry.year == year, JournalLine.account.like("spent:%")))
    for created_at, fen in spent:
        months[(created_at.year, created_at.month)] += fen
    out.by_month = [{"month": f"{y}-{mo:02d}", "spent": fen} for (y, mo), fen in sorted(months.items())]
    return out


EXPORT_HEADERS = ["维度", "项目", "申报数", "已占用（元）", "已拨付（元）", "下达（元）", "可用（元）"]


def export_rows(report: Execution, names: dict[str, str]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for line in report.lines:
        rows.append(["预算行", line.label or line.line, None, line.committed.as_yuan, line.spent.as_yuan,
                     line.appropriated.as_yuan, line.available.as_yuan])
    for m in report.by_measure:
        rows.append(["措施", f"{m['measure']} {m['title']}", m["claims"], Money(m["committed"]).as_yuan,
                     Money(m["spent"]).as_yuan, None, None])
    for c in report.by_county:
        rows.append(["县（市、区）", names.get(c["division"], c["division"]), c["claims"],
                     Money(c["committed"]).as_yuan, Money(c["spent"]).as_yuan, None, None])
    for mo in report.by_month:
        rows.append(["月份", mo["month"], None, None, Money(mo["spent"]).as_yuan, None, None])
    return rows
