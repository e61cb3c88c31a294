"""Indicators from accepted figures, for the city, each county and the zone, by month, quarter or year, with the
change on the same period of the year before. Flows (online retail) add up over a period; stocks (stations,
villages, park area) take each entity's latest accepted report in the period; tallies (demonstration units) count
the entities recognised at a level by the end of the period, in that period or before (a recognition stands)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lishui.core.actor import Actor
from lishui.registry import CITY_CODE, COUNTIES, ZONE_CODE
from lishui.stats.models import StatsFigure, StatsForm, StatsPublicFigure, StatsTotal
from lishui.stats.service import division_name


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    label_en: str
    unit: str
    form: str
    field: str
    # flow: sum over the period | stock: latest report in the period | share: ratio of stocks
    # | tally: entities whose value reached ``at_least`` by the end of the period
    kind: str = "flow"
    divisor: str = ""  # for shares: the field the ratio is taken over
    at_least: Decimal = Decimal(1)  # for tallies
    scale: Decimal = Decimal(1)  # canonical value -> shown unit (fen -> 万元)

    @property
    def places(self) -> str:
        """How a value is rounded for display: counts whole, amounts, areas and shares to two places."""
        return "1" if self.unit in ("个", "家") else "0.01"


WAN_YUAN = Decimal(1_000_000)  # fen in 10,000 yuan
INDICATORS: dict[str, Indicator] = {i.key: i for i in [
    Indicator("online_retail", "网络零售额", "Online retail", "万元", "ENT_MONTHLY_RETAIL", "online_retail",
              scale=WAN_YUAN),
    Indicator("physical_goods", "实物商品网络零售额", "Online retail of physical goods", "万元", "ENT_MONTHLY_RETAIL",
              "physical_goods", scale=WAN_YUAN),
    Indicator("agricultural_retail", "农产品网络零售额", "Online retail of agricultural products", "万元",
              "ENT_MONTHLY_RETAIL", "agricultural_retail", scale=WAN_YUAN),
    Indicator("cross_border_export_usd", "跨境电商出口额", "Cross-border exports", "万美元", "ENT_MONTHLY_RETAIL",
              "cross_border_export_usd", scale=WAN_YUAN),
    Indicator("rural_stations", "农村电子商务服务站", "Rural service stations", "个", "STATION_MONTHLY",
              "rural_stations", kind="stock"),
    Indicator("community_stations", "社区电子商务服务站", "Community service stations", "个", "STATION_MONTHLY",
              "community_stations", kind="stock"),
    Indicator("ecommerce_villages", "电子商务专业村", "E-commerce villages", "个", "COUNTY_QUARTERLY",
              "ecommerce_villages", kind="stock"),
    Indicator("ecommerce_towns", "电子商务专业镇", "E-commerce towns", "个", "COUNTY_QUARTERLY", "ecommerce_towns",
              kind="stock"),
    Indicator("above_size_share", "规上企业电子商务应用比例", "Share of large enterprises using e-commerce", "%",
              "COUNTY_QUARTERLY", "above_size_applying_ecommerce", kind="share", divisor="above_size_enterprises"),
    Indicator("park_area", "电商园区使用面积", "E-commerce park area", "平方米", "PARK_QUARTERLY", "usable_area",
              kind="stock"),
    Indicator("park_ecommerce_retail", "电商园区电子商务零售额", "Park online retail", "万元", "PARK_QUARTERLY",
              "ecommerce_retail", scale=WAN_YUAN),
    # 省示范 (T1): recognised at provincial level or above (a national recognition counts: docs/decisions.md).
    Indicator("provincial_demo_enterprises", "省级以上示范电子商务企业", "Provincial (or national) demonstration "
              "enterprises", "家", "DEMO_RECOGNITION", "enterprise_level", kind="tally", at_least=Decimal(2)),
    Indicator("provincial_demo_platforms", "省级以上示范电子商务平台", "Provincial (or national) demonstration "
              "platforms", "家", "DEMO_RECOGNITION", "platform_level", kind="tally", at_least=Decimal(2)),
    Indicator("provincial_demo_bases", "省级以上示范电子商务产业基地", "Provincial (or national) demonstration bases",
              "家", "DEMO_RECOGNITION", "base_level", kind="tally", at_least=Decimal(2)),
]}
GRANULARITIES = {"month": ("月", "Month"), "quarter": ("季", "Quarter"), "year": ("年", "Year")}
JURISDICTIONS = (*COUNTIES, ZONE_CODE)


def bucket(day: dt.date, granularity: str) -> str:
    if granularity == "month":
        return f"{day.year}-{day.month:02d}"
    if granularity == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def bucket_end(column: str) -> dt.date:
    """The last day of a column ("2017-03", "2017-Q1", "2017")."""
    year = int(column[:4])
    if "-Q" in column:
        month = 3 * int(column[-1])
    elif "-" in column:
        month = int(column[5:7])
    else:
        month = 12
    return (dt.date(year, month, 1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def buckets(year: int, granularity: str) -> list[str]:
    if granularity == "month":
        return [f"{year}-{m:02d}" for m in range(1, 13)]
    if granularity == "quarter":
        return [f"{year}-Q{q}" for q in range(1, 5)]
    return [str(year)]


@dataclass
class Row:
    division_code: str
    name: str
    values: dict[str, Decimal | None] = field(default_factory=dict)
    growth: dict[str, Decimal | None] = field(default_factory=dict)  # percent on the same period a year before


@dataclass
class Table:
    indicator: Indicator
    granularity: str
    year: int
    columns: list[str]
    rows: list[Row]


def _visible(actor: Actor) -> tuple[str, ...]:
    if actor.scope == "division" and actor.scope_division:
        return (actor.scope_division,)
    return JURISDICTIONS


def _raw(session: Session, ind: Indicator, key: str, start: dt.date, end: dt.date,
         granularity: str) -> dict[tuple[str, str], Decimal]:
    """(division, bucket) -> canonical value of one field."""
    form_id = select(StatsForm.id).where(StatsForm.code == ind.form).scalar_subquery()
    where = (StatsFigure.form_id == form_id, StatsFigure.field_key == key, StatsFigure.period_start >= start,
             StatsFigure.period_start <= end)
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    if ind.kind == "flow":  # the running totals: a few rows per county and month, whatever the number of reports
        stmt = select(StatsTotal.division_code, StatsTotal.period_start, StatsTotal.total).where(
            StatsTotal.form_id == form_id, StatsTotal.field_key == key, StatsTotal.period_start >= start,
            StatsTotal.period_start <= end, StatsTotal.reports > 0)
        for division, period_start, total in session.execute(stmt).tuples():
            out[(division, bucket(period_start, granularity))] += Decimal(total)
        return out
    latest: dict[tuple[str, str, str], tuple[dt.date, Decimal]] = {}
    stocks = select(StatsFigure.division_code, StatsFigure.entity_key, StatsFigure.period_start,
                    StatsFigure.value).where(*where)
    for division, entity, period_start, value in session.execute(stocks).tuples():
        slot = (division, entity, bucket(period_start, granularity))
        if slot not in latest or latest[slot][0] < period_start:
            latest[slot] = (period_start, Decimal(value))
    for (division, _, b), (_, value) in latest.items():
        out[(division, b)] += value
    return out


def _tally(session: Session, ind: Indicator, first: int, last: int,
           granularity: str) -> dict[tuple[str, str], Decimal]:
    """(division, column) -> entities whose accepted value reached ``at_least`` in a period starting by the
    column's end, for the columns of the years ``first`` to ``last``. An entity counts once, in the division of
    its first such report."""
    form_id = select(StatsForm.id).where(StatsForm.code == ind.form).scalar_subquery()
    stmt = (select(StatsFigure.entity_key, StatsFigure.division_code, StatsFigure.period_start)
            .where(StatsFigure.form_id == form_id, StatsFigure.field_key == ind.field,
                   StatsFigure.value >= ind.at_least, StatsFigure.period_start <= dt.date(last, 12, 31))
            .order_by(StatsFigure.period_start))
    since_when: dict[str, tuple[str, dt.date]] = {}
    for entity, division, period_start in session.execute(stmt).tuples():
        since_when.setdefault(entity, (division, period_start))
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for year in range(first, last + 1):
        for column in buckets(year, granularity):
            end = bucket_end(column)
            for division, since in since_when.values():
                if since <= end:
                    out[(division, column)] += 1
    return dict(out)


def _tables(session: Session, ind: Indicator, first: int, last: int,
            granularity: str) -> tuple[dict[tuple[str, str], Decimal], dict[str, Decimal]]:
    """The years ``first`` to ``last`` in one query per field: (division, bucket) -> value, and the city's total by
    bucket (the divisions' values added up; for a share the ratio of the added-up fields)."""
    start, end = dt.date(first, 1, 1), dt.date(last, 12, 31)
    if ind.kind == "share":
        return _shares(session, ind, start, end, granularity)
    if ind.kind == "tally":
        values = _tally(session, ind, first, last, granularity)
    else:
        values = {k: v / ind.scale for k, v in _raw(session, ind, ind.field, start, end, granularity).items()}
    present: dict[str, list[Decimal]] = defaultdict(list)
    for (_, b), v in values.items():
        present[b].append(v)
    return values, {b: sum(vs, Decimal(0)) for b, vs in present.items()}


def _shares(session: Session, ind: Indicator, start: dt.date, end: dt.date,
            granularity: str) -> tuple[dict[tuple[str, str], Decimal], dict[str, Decimal]]:
    raw = _raw(session, ind, ind.field, start, end, granularity)
    over = _raw(session, ind, ind.divisor, start, end, granularity)
    values = {k: v * 100 / over[k] for k, v in raw.items() if over.get(k)}
    num: dict[str, Decimal] = defaultdict(Decimal)
    den: dict[str, Decimal] = defaultdict(Decimal)
    for (_, b), v in raw.items():
        num[b] += v
    for (_, b), v in over.items():
        den[b] += v
    return values, {b: num[b] * 100 / d for b, d in den.items() if d}


def _growth(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    if now is None or not before:
        return None
    return ((now - before) * 100 / before).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _indicator(indicator: str, granularity: str) -> tuple[Indicator, str]:
    return (INDICATORS.get(indicator) or INDICATORS["online_retail"],
            granularity if granularity in GRANULARITIES else "month")


def compute(session: Session, actor: Actor, *, indicator: str, year: int, granularity: str) -> Table:
    """One indicator for a year: a row per county/zone in the actor's scope, and the city's total for city-wide
    actors; a column per month, quarter or the year."""
    ind, granularity = _indicator(indicator, granularity)
    values, totals = _tables(session, ind, year - 1, year, granularity)  # the year and the year before
    columns = buckets(year, granularity)
    previous = dict(zip(columns, buckets(year - 1, granularity), strict=True))
    rows: list[Row] = []
    for code in _visible(actor):
        row = Row(code, division_name(code))
        for col in columns:
            row.values[col] = values.get((code, col))
            row.growth[col] = _growth(values.get((code, col)), values.get((code, previous[col])))
        rows.append(row)
    if actor.scope == "city":
        total = Row(CITY_CODE, "丽水市")
        for col in columns:
            total.values[col] = totals.get(col)
            total.growth[col] = _growth(totals.get(col), totals.get(previous[col]))
        rows.insert(0, total)
    return Table(ind, granularity, year, columns, rows)


def values_over(session: Session, actor: Actor, *, indicator: str, years: Collection[int],
                granularity: str) -> dict[tuple[str, str], Decimal]:
    """What ``compute`` shows (without the growth) for several years at once: (division, column) -> value for the
    counties/zone in the actor's scope and, for city-wide actors, the city (``CITY_CODE``). One query per field
    over the years from the first to the last asked, instead of two per year."""
    if not years:
        return {}
    ind, granularity = _indicator(indicator, granularity)
    values, totals = _tables(session, ind, min(years), max(years), granularity)
    columns = {col for year in years for col in buckets(year, granularity)}
    visible = _visible(actor)
    out = {(code, col): v for (code, col), v in values.items() if code in visible and col in columns}
    if actor.scope == "city":
        out.update({(CITY_CODE, col): v for col, v in totals.items() if col in columns})
    return out


def shown(value: Decimal | None, places: str = "0.01") -> str:
    return "" if value is None else f"{value.quantize(Decimal(places), ROUND_HALF_UP):,}"


def export_rows(table: Table) -> tuple[list[str], list[list[str]]]:
    ind = table.indicator
    headers = ["县（区）", *[f"{c} {ind.label}（{ind.unit}）" for c in table.columns],
               *[f"{c} 同比增长（%）" for c in table.columns]]
    rows = [[r.name, *[shown(r.values[c], ind.places) for c in table.columns],
             *[shown(r.growth[c], "0.1") for c in table.columns]] for r in table.rows]
    return headers, rows


def public_figures(session: Session) -> list[StatsPublicFigure]:
    return list(session.scalars(select(StatsPublicFigure).order_by(StatsPublicFigure.year,
                                                                   StatsPublicFigure.division_code,
                                                                   StatsPublicFigure.id)))


def years_with_data(session: Session) -> list[int]:
    first, last = session.execute(select(func.min(StatsFigure.period_start), func.max(StatsFigure.period_start))).one()
    if first is None:
        return []
    return list(range(last.year, first.year - 1, -1))
