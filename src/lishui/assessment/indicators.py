"""Indicator values for the city, the nine counties and the zone, by period.

Values come through ``IndicatorSource``s registered here (like ``policy.facts.register_provider``): the
statistics subsystem registers its computed indicators after merge and takes precedence for what it provides.
The source shipped here is the observations table: values an officer enters or imports (every correction a new
revision, never overwritten), and the public figures (labelled as such) loaded by ``load_public_figures``.
A recorded value outranks a registered source's; a registered source's outranks a public figure (``value_table``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lishui.assessment.models import Observation
from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.errors import FieldError, Forbidden, ValidationFailed
from lishui.core.tabular import read_table
from lishui.registry import CITY_CODE, COUNTIES, ZONE_CODE


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    label_en: str
    unit: str  # 元 | 个 | 家 | 平方米 | 比例 | 是否
    yes_no: bool = False


INDICATORS: dict[str, Indicator] = {i.code: i for i in [
    Indicator("city_online_retail", "网络零售额", "Online retail sales", "元"),
    Indicator("online_shops", "网店数量", "Online shops", "家"),
    Indicator("rural_stations", "农村电子商务服务站", "Rural e-commerce stations", "个"),
    Indicator("community_stations", "社区电子商务服务站", "Community e-commerce stations", "个"),
    Indicator("taobao_villages", "电子商务村（淘宝村）", "Taobao villages", "个"),
    Indicator("taobao_towns", "电子商务镇（淘宝镇）", "Taobao towns", "个"),
    Indicator("ecommerce_park_area", "电子商务产业园区面积", "E-commerce park area", "平方米"),
    Indicator("above_size_ecommerce_share", "开展电子商务应用的规上企业比例",
              "Share of above-size firms using e-commerce", "比例"),
    Indicator("provincial_demo_enterprises", "省示范电子商务企业", "Provincial demonstration enterprises",
              "家"),
    Indicator("provincial_demo_platforms", "省示范电子商务平台", "Provincial demonstration platforms", "家"),
    Indicator("provincial_demo_bases", "省示范电子商务产业基地", "Provincial demonstration bases", "家"),
    Indicator("broadband_every_village", "宽带网络村村通", "Broadband in every village", "是否", yes_no=True),
    Indicator("fibre_100m_central_villages", "中心村百兆光纤进村入户", "100M fibre in central villages", "是否",
              yes_no=True),
    Indicator("lte_central_villages", "中心村4G移动网络全覆盖", "4G in central villages", "是否", yes_no=True),
    Indicator("free_wifi_public_places", "人流密集公共场所免费WIFI全覆盖", "Free Wi-Fi in busy public places", "是否",
              yes_no=True),
    Indicator("funds_paid", "专项资金已兑现金额", "Special-fund awards paid", "元"),
]}


def divisions() -> dict[str, str]:
    """The city, the nine counties and the zone: where indicators are reported."""
    return {CITY_CODE: "丽水市", **COUNTIES, ZONE_CODE: "丽水经济技术开发区"}


# ---------------------------------------------------------------- periods

PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))?$")


def parse_period(text: str) -> tuple[str, int, dt.date]:
    """"2017", "2017Q2" or "2017-06" → (the period, its year, its first day)."""
    m = PERIOD.match(text.strip())
    if not m:
        raise ValueError("期间应为 2017、2017Q2 或 2017-06")
    year = int(m.group(1))
    if m.group(2):
        start = dt.date(year, 3 * int(m.group(2)) - 2, 1)
    elif m.group(3):
        start = dt.date(year, int(m.group(3)), 1)
    else:
        start = dt.date(year, 1, 1)
    return text.strip(), year, start


# ---------------------------------------------------------------- sources

SOURCE_LABELS = {"public": "公开数据", "entered": "填报", "import": "导入", "stats": "统计报表汇总",
                 "funds": "资金兑付记录"}


@dataclass(frozen=True)
class Value:
    value: Decimal
    source: str  # entered | import | public | the registered source's name
    revision: int = 1
    reference: str = ""  # for a public figure: who published it

    @property
    def is_public(self) -> bool:
        return self.source == "public"

    @property
    def label(self) -> str:
        """Where the value comes from, as the dashboard and bulletins say it."""
        return SOURCE_LABELS.get(self.source, self.source)


class IndicatorSource(Protocol):
    name: str
    provides: frozenset[str]

    def values(self, session: Session, indicator: str, divisions: Sequence[str],
               periods: Sequence[str]) -> dict[tuple[str, str], Value]:
        """(division, period) → value, for the divisions and periods asked for that it knows."""
        ...


_SOURCES: list[IndicatorSource] = []


def register_source(source: IndicatorSource) -> None:
    if all(s.name != source.name for s in _SOURCES):
        _SOURCES.append(source)


def sources() -> list[IndicatorSource]:
    return list(_SOURCES)


class ObservationSource:
    """Officer-entered, imported and public figures: the current (highest) revision of each value."""

    name = "observations"
    provides = frozenset(INDICATORS)

    def values(self, session: Session, indicator: str, divisions: Sequence[str],
               periods: Sequence[str]) -> dict[tuple[str, str], Value]:
        return self.many(session, [indicator], divisions, periods)[indicator]

    def many(self, session: Session, codes: Sequence[str], divisions: Sequence[str],
             periods: Sequence[str]) -> dict[str, dict[tuple[str, str], Value]]:
        """The current revision of each value of several indicators, in one query."""
        latest = (select(Observation.indicator, Observation.division_code, Observation.period,
                         func.max(Observation.revision).label("revision"))
                  .where(Observation.indicator.in_(codes), Observation.division_code.in_(divisions),
                         Observation.period.in_(periods))
                  .group_by(Observation.indicator, Observation.division_code, Observation.period).subquery())
        rows = session.execute(
            select(Observation.indicator, Observation.division_code, Observation.period, Observation.value,
                   Observation.source, Observation.revision, Observation.reference)
            .join(latest, (Observation.indicator == latest.c.indicator)
                  & (Observation.division_code == latest.c.division_code)
                  & (Observation.period == latest.c.period) & (Observation.revision == latest.c.revision)))
        out: dict[str, dict[tuple[str, str], Value]] = {code: {} for code in codes}
        for code, d, p, v, s, r, ref in rows:
            out[code][(d, p)] = Value(Decimal(v), s, r, ref)
        return out


OBSERVATIONS = ObservationSource()


def value_table(session: Session, indicator: str, division_codes: Sequence[str],
                periods: Sequence[str]) -> dict[tuple[str, str], Value]:
    """Values for every (division, period) asked. A figure an officer recorded (entered or imported: the official
    figure, e.g. the statistics bureau's) stands; a registered source (accepted statistics, funds paid) fills the
    periods no officer recorded and replaces public figures; public figures fill what is left."""
    return value_tables(session, [indicator], division_codes, periods)[indicator]


def value_tables(session: Session, codes: Sequence[str], division_codes: Sequence[str],
                 periods: Sequence[str]) -> dict[str, dict[tuple[str, str], Value]]:
    """``value_table`` for several indicators, the observations read in one query."""
    wanted = list(dict.fromkeys(codes))
    tables = OBSERVATIONS.many(session, wanted, division_codes, periods)
    for indicator in wanted:
        out = tables[indicator]
        for source in _SOURCES:
            if indicator in source.provides:
                for key, value in source.values(session, indicator, division_codes, periods).items():
                    held = out.get(key)
                    if held is None or held.is_public:
                        out[key] = value
    return tables


def years_with_data(session: Session) -> list[int]:
    return sorted(y for (y,) in session.execute(select(Observation.year).distinct()))


# ---------------------------------------------------------------- recording

def _check_scope(actor: Actor, division: str) -> None:
    if actor.scope == "city":
        return
    if actor.scope == "division" and actor.scope_division == division:
        return
    raise Forbidden("只能填报本县（区）的指标")


def _number(raw: str, indicator: Indicator) -> Decimal:
    text = raw.strip().replace(",", "").replace("，", "")
    if indicator.yes_no:
        if text in ("是", "1", "true", "yes"):
            return Decimal(1)
        if text in ("否", "0", "false", "no"):
            return Decimal(0)
        raise ValueError("应为 是/否")
    try:
        value = Decimal(text.removesuffix("%")) / (100 if text.endswith("%") else 1)
    except InvalidOperation:
        raise ValueError(f"“{raw}”不是数字") from None
    if not value.is_finite():
        raise ValueError("不是有限的数字")
    if value < 0:
        raise ValueError("不能为负数")
    if indicator.unit == "比例" and value > 1:
        raise ValueError("比例应在 0 到 1 之间（或填百分数，如 80%）")
    if abs(value) >= Decimal("1e16"):
        raise ValueError("数值过大")
    return value.quantize(Decimal("0.0001"))


def _checked(indicator: str, division: str, period: str, raw: str) -> tuple[Indicator, str, int, Decimal,
                                                                             list[tuple[str, str]]]:
    """The parsed value and the problems, as (column, message)."""
    problems: list[tuple[str, str]] = []
    info = INDICATORS.get(indicator.strip())
    if info is None:
        problems.append(("indicator", f"未知指标“{indicator}”"))
    if division.strip() not in divisions():
        problems.append(("division", f"“{division}”不是丽水市、所辖县（市、区）或开发区的代码"))
    year = 0
    try:
        period, year, start = parse_period(period)
        if start > clock.today():
            problems.append(("period", f"期间“{period}”尚未开始"))
    except ValueError as exc:
        problems.append(("period", str(exc)))
    value = Decimal(0)
    if info is not None:
        try:
            value = _number(raw, info)
        except ValueError as exc:
            problems.append(("value", str(exc)))
    return info or INDICATORS["city_online_retail"], period.strip(), year, value, problems


def _current(session: Session, indicator: str, division: str, period: str) -> Observation | None:
    return session.scalar(select(Observation).where(
        Observation.indicator == indicator, Observation.division_code == division, Observation.period == period)
        .order_by(Observation.revision.desc()).limit(1))


def record(session: Session, actor: Actor, *, indicator: str, division: str, period: str, value: str,
           note: str = "") -> Observation | None:
    """Record a value; a correction adds a revision (None when equal to the current value)."""
    info, period, year, number, problems = _checked(indicator, division, period, value)
    if problems:
        raise ValidationFailed("指标数据有误", [FieldError(c, m) for c, m in problems])
    division = division.strip()
    _check_scope(actor, division)
    current = _current(session, info.code, division, period)
    if current is not None and Decimal(current.value) == number:
        return None
    obs = Observation(indicator=info.code, division_code=division, period=period, year=year, value=number,
                      revision=(current.revision + 1) if current else 1, source="entered", note=note[:300],
                      recorded_by=actor.username)
    session.add(obs)
    session.flush()
    audit.record(session, actor, "assessment.observation.record", object_type="observation", object_id=obs.id,
                 before={"value": current.value if current else None}, after={
                     "indicator": info.code, "division": division, "period": period, "value": number,
                     "revision": obs.revision})
    return obs


def history(session: Session, actor: Actor, *, indicator: str, division: str, period: str) -> list[Observation]:
    return list(session.scalars(select(Observation).where(
        Observation.indicator == indicator, Observation.division_code == division, Observation.period == period)
        .order_by(Observation.revision)))


def recent(session: Session, actor: Actor, *, indicator: str = "", division: str = "",
           limit: int = 200) -> list[Observation]:
    stmt = select(Observation).order_by(Observation.id.desc()).limit(limit)
    if indicator:
        stmt = stmt.where(Observation.indicator == indicator)
    if division:
        stmt = stmt.where(Observation.division_code == division)
    if actor.scope == "division":
        stmt = stmt.where(Observation.division_code.in_((actor.scope_division or "", CITY_CODE)))
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- import (all or nothing)

COLUMNS = ("指标", "地区代码", "期间", "数值", "说明")
COLUMN_FIELDS = {"indicator": "指标", "division": "地区代码", "period": "期间", "value": "数值"}
MAX_ERRORS = 200


@dataclass
class ImportReport:
    total_rows: int = 0
    recorded: int = 0
    unchanged: int = 0
    errors: list[FieldError] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def template() -> tuple[list[str], list[list[str]]]:
    return list(COLUMNS), [["city_online_retail", "331102", "2017", "5200000000", "县统计局快报"],
                           ["rural_stations", "331122", "2017Q4", "310", ""]]


def import_observations(session: Session, actor: Actor, content: bytes, filename: str = "") -> ImportReport:
    """Validate every row, then write all of them (new revisions) or none. Errors name the row and column."""
    sheet = read_table(content, COLUMNS, required=COLUMNS[:4])
    report = ImportReport(total_rows=len(sheet.rows))
    seen: dict[tuple[str, str, str], int] = {}
    parsed: list[tuple[Indicator, str, str, int, Decimal, str]] = []
    for n, row in enumerate(sheet.rows, start=2):
        info, period, year, value, problems = _checked(row["指标"], row["地区代码"], row["期间"], row["数值"])
        division = row["地区代码"].strip()
        if not problems and not (actor.scope == "city" or actor.scope_division == division):
            problems.append(("division", "只能导入本县（区）的指标"))
        key = (info.code, division, period)
        if not problems and key in seen:
            problems.append(("indicator", f"与第{seen[key]}行重复（同一指标、地区、期间）"))
        seen.setdefault(key, n)
        for column, message in problems:
            if len(report.errors) < MAX_ERRORS:
                report.errors.append(FieldError(COLUMN_FIELDS[column], message, n))
            else:
                report.truncated = True
        if not problems:
            parsed.append((info, division, period, year, value, row.get("说明", "")[:300]))
    if report.errors:
        return report
    currents = _currents(session, {(i.code, d, p) for i, d, p, *_ in parsed})
    rows: list[dict[str, Any]] = []
    now = clock.now()
    for info, division, period, year, value, note in parsed:
        current = currents.get((info.code, division, period))
        if current is not None and current[1] == value:
            report.unchanged += 1
            continue
        rows.append({"indicator": info.code, "division_code": division, "period": period, "year": year,
                     "value": value, "revision": (current[0] + 1) if current else 1, "source": "import",
                     "reference": "", "note": note, "recorded_by": actor.username, "recorded_at": now})
    for start in range(0, len(rows), 2000):
        session.execute(insert(Observation), rows[start:start + 2000])
    report.recorded = len(rows)
    audit.record(session, actor, "assessment.observation.import", object_type="observation", object_id=filename,
                 detail={"rows": report.total_rows, "recorded": report.recorded, "unchanged": report.unchanged})
    return report


def _currents(session: Session, keys: set[tuple[str, str, str]]) -> dict[tuple[str, str, str], tuple[int, Decimal]]:
    if not keys:
        return {}
    indicators = {k[0] for k in keys}
    periods = {k[2] for k in keys}
    out: dict[tuple[str, str, str], tuple[int, Decimal]] = {}
    rows = session.execute(select(Observation.indicator, Observation.division_code, Observation.period,
                                  Observation.revision, Observation.value)
                           .where(Observation.indicator.in_(indicators), Observation.period.in_(periods))
                           .order_by(Observation.revision))
    for ind, div, per, rev, val in rows:
        if (ind, div, per) in keys:
            out[(ind, div, per)] = (rev, Decimal(val))
    return out


# ---------------------------------------------------------------- public figures

# Published figures about Lishui e-commerce (shared/data/README.md and the policy text), loaded as their own
# dataset: source "public", with who published them. The demo shows them next to the targets.
PUBLIC_FIGURES: tuple[tuple[str, str, str, str, str], ...] = (
    ("online_shops", CITY_CODE, "2014", "8349", "《小康》专访丽水市委书记，2015年5月（2014年数据）"),
    ("city_online_retail", CITY_CODE, "2014", "3800000000",
     "《小康》专访丽水市委书记，2015年5月；实施意见：2014年销售38亿元"),
    ("rural_stations", CITY_CODE, "2014", "569", "《小康》专访丽水市委书记，2015年5月（赶街模式村级服务站）"),
    ("taobao_villages", CITY_CODE, "2013", "1", "丽水日报，2019-08-19"),
    ("taobao_towns", CITY_CODE, "2018", "1", "丽水日报，2019-08-19"),
    ("taobao_villages", CITY_CODE, "2019", "29", "丽水日报，2019-08-19"),
    ("taobao_villages", "331122", "2019", "11", "丽水日报，2019-08-19"),
    ("taobao_villages", "331121", "2019", "4", "丽水日报，2019-08-19"),
    ("taobao_villages", "331125", "2019", "3", "丽水日报，2019-08-19"),
    ("taobao_villages", "331181", "2019", "3", "丽水日报，2019-08-19"),
    ("taobao_villages", "331124", "2019", "3", "丽水日报，2019-08-19"),
    ("taobao_villages", "331102", "2019", "2", "丽水日报，2019-08-19"),
    ("taobao_villages", "331127", "2019", "2", "丽水日报，2019-08-19"),
    ("taobao_villages", "331126", "2019", "1", "丽水日报，2019-08-19"),
    ("taobao_villages", "331123", "2019", "0", "丽水日报，2019-08-19"),
    ("taobao_towns", CITY_CODE, "2019", "4", "丽水日报，2019-08-19"),
    ("taobao_towns", "331122", "2019", "3", "丽水日报，2019-08-19"),
    ("taobao_towns", "331121", "2019", "1", "丽水日报，2019-08-19"),
    ("city_online_retail", "331102", "2020", "10431000000", "中国发展网，2021年12月（莲都区，同比增长26.2%）"),
    ("online_shops", "331102", "2020", "1810", "中国发展网，2021年12月（莲都区活跃网店）"),
)


def load_public_figures(session: Session, actor: Actor) -> int:
    """Add the public figures not yet present (idempotent); the number added."""
    present = {(o.indicator, o.division_code, o.period) for o in session.scalars(
        select(Observation).where(Observation.source == "public"))}
    added = 0
    for indicator, division, period, value, reference in PUBLIC_FIGURES:
        if (indicator, division, period) in present:
            continue
        current = _current(session, indicator, division, period)
        session.add(Observation(indicator=indicator, division_code=division, period=period,
                                year=parse_period(period)[1], value=Decimal(value),
                                revision=(current.revision + 1) if current else 1, source="public",
                                reference=reference, note="公开数据", recorded_by=actor.username))
        added += 1
    session.flush()
    if added:
        audit.record(session, actor, "assessment.public_figures.load", object_type="observation",
                     object_id="public", detail={"added": added})
    return added
