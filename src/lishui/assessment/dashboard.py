"""The dashboard's data: a trend line, a county comparison and target gauges, each with the table under it
(the same rows feed the Excel export)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from lishui.assessment import indicators, targets
from lishui.registry import CITY_CODE

FIRST_YEAR = 2013


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass
class Dashboard:
    indicator: str
    division: str
    year: int
    trend: Table
    counties: Table
    gauges: Table
    # When no county has a value for the year: the latest earlier year where one has (None if none has).
    counties_latest_year: int | None = None

    def chart_data(self) -> dict[str, Any]:
        """What the chart script draws, numbers as text (exact decimals; the script converts for drawing)."""
        info = indicators.INDICATORS[self.indicator]

        def text(value: Any) -> str | None:
            return None if value is None else format(Decimal(value).normalize(), "f")

        return {
            "indicator": info.label, "unit": info.unit,
            "trend": {"periods": [r[0] for r in self.trend.rows], "values": [text(r[1]) for r in self.trend.rows],
                      "public": [r[2] == "公开数据" for r in self.trend.rows]},
            "counties": {"names": [r[0] for r in self.counties.rows],
                         "values": [text(r[1]) for r in self.counties.rows]},
            "gauges": [{"id": r[0], "label": r[1], "percent": r[5]} for r in self.gauges.rows if r[5] is not None],
        }


GRAINS = {"year": ("按年", "Yearly"), "quarter": ("按季", "Quarterly"), "month": ("按月", "Monthly")}


def trend_periods(year: int, grain: str) -> list[str]:
    """The trend line's periods: every year since FIRST_YEAR, or the quarters or months of the chosen year."""
    if grain == "quarter":
        return [f"{year}Q{q}" for q in range(1, 5)]
    if grain == "month":
        return [f"{year}-{m:02d}" for m in range(1, 13)]
    return [str(y) for y in range(FIRST_YEAR, year + 1)]


def build(session: Session, *, indicator: str, division: str, year: int, grain: str = "year") -> Dashboard:
    if indicator not in indicators.INDICATORS:
        indicator = "city_online_retail"
    names = indicators.divisions()
    if division not in names:
        division = CITY_CODE
    info = indicators.INDICATORS[indicator]
    periods = trend_periods(year, grain if grain in GRAINS else "year")
    trend_values = indicators.value_table(session, indicator, [division], periods)
    trend_rows = [[p, v.value, v.label, v.reference]
                  for p in periods if (v := trend_values.get((division, p))) is not None]
    county_codes = [c for c in names if c != CITY_CODE]
    county_values = indicators.value_table(session, indicator, county_codes, [str(year)])
    county_rows = []
    for code in county_codes:
        v = county_values.get((code, str(year)))
        county_rows.append([names[code], v.value if v else None, v.label if v else "无数据"])
    latest_year = None
    if all(row[1] is None for row in county_rows):
        earlier = indicators.value_table(session, indicator, county_codes,
                                         [str(y) for y in range(FIRST_YEAR, year)])
        latest_year = max((int(p) for (_, p) in earlier), default=None)
    gauge_rows = []
    for p in targets.progress(session, targets.default_pack(), division, year):
        percent = min(p.percent, 100) if p.percent is not None else None
        gauge_rows.append([p.target.id, p.target.label, p.goal, p.latest[1] if p.latest else None,
                           str(p.latest[0]) if p.latest else None, percent, targets.STATUS[p.status][0]])
    where = names[division]
    column = f"{info.label}（{info.unit}）"
    return Dashboard(
        indicator, division, year,
        Table("trend", f"{where}{info.label}趋势（{info.unit}）", ["期间", column, "来源", "出处"], trend_rows),
        Table("counties", f"{year}年各县（市、区）{info.label}（{info.unit}）", ["地区", column, "来源"], county_rows),
        Table("targets", f"{where}2018年目标完成情况", ["目标", "内容", "目标值", "最新值", "年度", "完成率%", "判断"],
              gauge_rows),
        counties_latest_year=latest_year,
    )
