"""Demo statistics: recent reports at every step of the approval chain (one flagged, one returned), complete
accepted years for a few enterprises (so the policy batch finds M21/M22 candidates straight from the
statistics), county quarterly reports, a few demonstration recognitions (M20, T1), and the published figures
about Lishui e-commerce, labelled as such.

Deterministic (seeded) and idempotent: nothing is written when demo reports already exist. Reports are written
directly with the channel ``demo`` (they bypass the lock dates of past periods, as a migration of old data would).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.registry import COUNTIES, ZONE_CODE, Organisation
from lishui.stats.imports import Row, flag_rows, write_rows
from lishui.stats.models import StatsPublicFigure, StatsRevision, StatsSubmission
from lishui.stats.rules import parse_period, recent_periods, spec_of
from lishui.stats.service import get_form, record_figures

PUBLIC_LABEL = "公开数据"
SOURCE_XIAOKANG = "《小康》杂志专访丽水市委书记，2015年5月"
SOURCE_LSRB = "丽水日报，2019-08-19"
SOURCE_INDEX = "浙江省电子商务发展指数报告（2015）"
SOURCE_CDN = "中国发展网，2021年12月"
SOURCE_POLICY = "《丽水市人民政府关于加快电子商务发展的若干意见》（2015）"

# (year, division, indicator, label, value, unit, source)
PUBLIC_FIGURES: list[tuple[int, str, str, str, str, str, str]] = [
    (2014, "331100", "online_shops", "网店数量", "8349", "家", SOURCE_XIAOKANG),
    (2014, "331100", "ecommerce_employment", "电子商务从业人员（约）", "22000", "人", SOURCE_XIAOKANG),
    (2014, "331100", "online_retail", "网络销售额（约，亿元）", "38", "亿元", SOURCE_XIAOKANG),
    (2014, "331100", "village_stations", "农村电子商务服务站（赶街模式）", "569", "个", SOURCE_XIAOKANG),
    (2014, "331100", "top100_counties", "入选全国电子商务百佳县的县（市、区）", "7", "个", SOURCE_XIAOKANG),
    (2015, "331100", "provincial_index_rank", "全省电子商务发展指数排名（11个设区市）", "9", "位", SOURCE_INDEX),
    (2013, "331100", "taobao_villages", "淘宝村", "1", "个", SOURCE_LSRB),
    (2018, "331100", "taobao_towns", "淘宝镇", "1", "个", SOURCE_LSRB),
    (2019, "331100", "taobao_villages", "淘宝村", "29", "个", SOURCE_LSRB),
    (2019, "331100", "taobao_towns", "淘宝镇", "4", "个", SOURCE_LSRB),
    (2019, "331100", "taobao_village_h1_sales", "淘宝村上半年销售额（亿元）", "14.8", "亿元", SOURCE_LSRB),
    (2019, "331100", "taobao_village_shops", "淘宝村网店数", "2250", "家", SOURCE_LSRB),
    (2019, "331100", "taobao_village_employment", "淘宝村从业人员", "9965", "人", SOURCE_LSRB),
    (2020, "331102", "online_retail", "莲都区网络零售额（亿元）", "104.31", "亿元", SOURCE_CDN),
    (2020, "331102", "online_retail_growth", "莲都区网络零售额增长", "26.2", "%", SOURCE_CDN),
    (2020, "331102", "active_shops", "莲都区活跃网店", "1810", "家", SOURCE_CDN),
]
TAOBAO_VILLAGES_2019 = {"331122": 11, "331121": 4, "331125": 3, "331181": 3, "331124": 3, "331102": 2,
                        "331127": 2, "331126": 1, "331123": 0}
TAOBAO_TOWNS_2019 = {"331122": 3, "331121": 1}


@dataclass
class DemoStats:
    reports: int = 0
    public_figures: int = 0
    award_candidates: int = 0


def _public_figures(session: Session) -> int:
    rows = [{"year": y, "division_code": d, "indicator": i, "label": f"{label}（{PUBLIC_LABEL}）", "value": v,
             "unit": u, "source": s} for y, d, i, label, v, u, s in PUBLIC_FIGURES]
    rows += [{"year": 2019, "division_code": code, "indicator": "taobao_villages",
              "label": f"淘宝村（{PUBLIC_LABEL}）", "value": str(n), "unit": "个", "source": SOURCE_LSRB}
             for code, n in TAOBAO_VILLAGES_2019.items()]
    rows += [{"year": 2019, "division_code": code, "indicator": "taobao_towns",
              "label": f"淘宝镇（{PUBLIC_LABEL}）", "value": str(n), "unit": "个", "source": SOURCE_LSRB}
             for code, n in TAOBAO_TOWNS_2019.items()]
    session.execute(insert(StatsPublicFigure), rows)
    return len(rows)


def _month_values(rng: random.Random, total_yuan: int) -> dict[str, str]:
    fen = total_yuan * 100
    physical = fen * rng.randrange(70, 100) // 100
    return {"online_retail": str(fen), "physical_goods": str(physical), "non_physical_goods": str(fen - physical),
            "retail_tmall_taobao": str(fen * 6 // 10), "retail_jd": str(fen * 2 // 10),
            "agricultural_retail": str(fen * rng.randrange(0, 40) // 100), "active_shops": str(rng.randrange(1, 12))}


def _enterprises(session: Session, divisions: tuple[str, ...], *, tagged: bool, limit: int) -> list[Organisation]:
    orgs = session.scalars(select(Organisation).where(Organisation.kind == "enterprise",
                                                      Organisation.division_code.in_(divisions))
                           .order_by(Organisation.id))
    return [o for o in orgs if ("in_commerce_stats" in o.tag_set) == tagged][:limit]


def _accept(session: Session, ids: list[int], revision_by: str) -> None:
    now = clock.now()
    for start in range(0, len(ids), 1000):
        session.execute(update(StatsSubmission).where(StatsSubmission.id.in_(ids[start:start + 1000])).values(
            status="accepted", accepted_revision=1, verified_by="demo-county", verified_at=now,
            accepted_by=revision_by, accepted_at=now))
    record_figures(session, ids)


def _recognitions(session: Session, actor: Actor, growers: list[Organisation]) -> int:
    """The demonstration register (二(六)): T1 progress on the dashboard, and M20 found from the register."""
    form = get_form(session, "DEMO_RECOGNITION")
    others = {kind: session.scalar(select(Organisation).where(Organisation.kind == kind).order_by(Organisation.id))
              for kind in ("park_operator", "service_provider")}
    wanted: list[tuple[Organisation | None, int, str, int]] = [
        (growers[1] if len(growers) > 1 else None, 2017, "enterprise_level", 2),
        (growers[2] if len(growers) > 2 else None, 2016, "enterprise_level", 1),
        (others["park_operator"], 2016, "base_level", 2),
        (others["service_provider"], 2017, "platform_level", 3),
    ]
    rows = [Row(0, f"o{org.id}", org.id, org.division_code, parse_period("year", str(year)),
                {key: str(level), "document": f"演示数据：认定文件〔{year}〕{n + 1}号"})
            for n, (org, year, key, level) in enumerate(wanted) if org is not None]
    write_rows(session, actor, form, rows, "demo")
    _accept(session, list(session.scalars(select(StatsSubmission.id).where(StatsSubmission.form_id == form.id))),
            "demo-city")
    return len(rows)


def generate(session: Session, actor: Actor, *, seed: int = 20180) -> DemoStats:
    out = DemoStats()
    if session.scalar(select(StatsRevision.id).where(StatsRevision.channel == "demo").limit(1)) is not None:
        return out
    rng = random.Random(seed)
    out.public_figures = _public_figures(session)
    retail = get_form(session, "ENT_MONTHLY_RETAIL")
    today = clock.today()

    # Recent months of enterprises across the counties, at every step of the chain.
    recent = list(reversed(recent_periods("month", today, 6)))
    growers = _enterprises(session, ("331102",), tagged=False, limit=6)
    reporters = [o for o in _enterprises(session, (*COUNTIES, ZONE_CODE), tagged=False, limit=66)
                 if o not in growers][:60]
    rows: list[Row] = []
    for n, org in enumerate(reporters):
        level = rng.randrange(50_000, 3_000_000)
        for i, period in enumerate(recent):
            amount = level * rng.randrange(85, 120) // 100
            if n == 0 and i == len(recent) - 1:
                amount = level * 50  # the flagged jump an officer must explain
            if n % 7 == 3 and i == len(recent) - 1:
                continue  # overdue: nothing reported yet
            rows.append(Row(0, f"o{org.id}", org.id, org.division_code, period, _month_values(rng, amount)))
    flag_rows(session, retail, spec_of(retail), rows)
    write_rows(session, actor, retail, rows, "demo")
    ids = dict(session.execute(select(StatsSubmission.entity_key, StatsSubmission.id).where(
        StatsSubmission.form_id == retail.id, StatsSubmission.period == recent[-1].code)).tuples().all())
    older = list(session.scalars(select(StatsSubmission.id).where(
        StatsSubmission.form_id == retail.id, StatsSubmission.period.in_([p.code for p in recent[:-2]]))))
    _accept(session, older, "demo-city")
    latest = sorted(ids.values())
    session.execute(update(StatsSubmission).where(StatsSubmission.id.in_(latest[1::3])).values(
        status="verified", verified_by="demo-county", verified_at=clock.now()))
    if len(latest) > 2:
        session.execute(update(StatsSubmission).where(StatsSubmission.id == latest[2]).values(
            status="returned", return_reason="平台分列合计与总额不一致，请核对后更正"))
    out.reports += len(rows)

    # Complete accepted years for a few Liandu enterprises, and their inclusion in the statistics bureau's
    # system: the policy batch finds them (M21 first inclusion, M22 growth) from the statistics alone.
    award_year = 2017
    yearly: list[Row] = []
    inclusion: list[Row] = []
    for n, org in enumerate(growers):
        first = award_year if n % 3 == 0 else 2015
        base = rng.randrange(300_000, 2_000_000)
        for year in (award_year - 1, award_year):
            monthly = base if year < award_year else base + rng.randrange(500_000, 1_500_000)
            for month in range(1, 13):
                yearly.append(Row(0, f"o{org.id}", org.id, org.division_code,
                                  parse_period("month", f"{year}-{month:02d}"), _month_values(rng, monthly)))
        inclusion.append(Row(0, f"o{org.id}", org.id, org.division_code, parse_period("year", str(award_year)),
                             {"included": "true", "first_included_year": str(first)}))
    write_rows(session, actor, retail, yearly, "demo")
    inclusion_form = get_form(session, "STATS_INCLUSION")
    write_rows(session, actor, inclusion_form, inclusion, "demo")
    keys = [f"o{o.id}" for o in growers]
    _accept(session, list(session.scalars(select(StatsSubmission.id).where(
        StatsSubmission.entity_key.in_(keys), StatsSubmission.form_id.in_((retail.id, inclusion_form.id))))),
        "demo-city")
    out.reports += len(yearly) + len(inclusion)
    out.award_candidates = len(growers)

    # County quarterly reports for the last quarter, accepted.
    county = get_form(session, "COUNTY_QUARTERLY")
    quarter = recent_periods("quarter", today, 1)[0]
    county_rows = []
    for code in (*COUNTIES, ZONE_CODE):
        villages = rng.randrange(80, 400)
        above = rng.randrange(40, 300)
        county_rows.append(Row(0, f"d{code}", None, code, quarter, {
            "villages": str(villages), "villages_broadband": str(villages), "villages_4g": str(villages * 9 // 10),
            "free_wifi_sites": str(rng.randrange(20, 200)), "above_size_enterprises": str(above),
            "above_size_applying_ecommerce": str(above * rng.randrange(30, 70) // 100),
            "ecommerce_villages": str(TAOBAO_VILLAGES_2019.get(code, 0) + rng.randrange(0, 4)),
            "ecommerce_towns": str(TAOBAO_TOWNS_2019.get(code, 0)), "evidence": "演示数据"}))
    write_rows(session, actor, county, county_rows, "demo")
    _accept(session, list(session.scalars(select(StatsSubmission.id).where(StatsSubmission.form_id == county.id))),
            "demo-city")
    out.reports += len(county_rows)
    out.reports += _recognitions(session, actor, growers)
    audit.record(session, actor, "stats.demo.load", object_type="stats", object_id="",
                 detail={"reports": out.reports, "public_figures": out.public_figures})
    return out
