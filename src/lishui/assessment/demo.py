"""Demo data for assessment: the public figures, believable indicator observations for 2015–2017 (labelled
演示数据), county breakdowns of three targets, the 2017 scoring scheme, the 2017 responsibility tasks in every
state (green, yellow, red, closed, an extension waiting for approval) and one published bulletin.

Deterministic (seeded) and idempotent: a database with tasks already is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lishui.assessment import bulletins, indicators, scoring, targets, tasks
from lishui.assessment.models import Observation, Task
from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.registry import CITY_CODE, ZONE_CODE

DEMO_YEAR = 2017
NOTE = "演示数据（非真实统计）"
# Share of the city's figures by jurisdiction (demo weights: Jinyun and Liandu lead, as the public figures suggest).
WEIGHTS = {"331102": 20, "331121": 12, "331122": 22, "331123": 6, "331124": 7, "331125": 7, "331126": 5,
           "331127": 5, "331181": 10, ZONE_CODE: 6}
CITY_SERIES = {  # indicator: {year: city value}
    "city_online_retail": {2015: 5_600_000_000, 2016: 8_100_000_000, 2017: 11_300_000_000},
    "online_shops": {2015: 10_900, 2016: 13_700, 2017: 16_200},
    "rural_stations": {2015: 1_150, 2016: 1_720, 2017: 2_180},
    "community_stations": {2015: 40, 2016: 110, 2017: 190},
    "taobao_villages": {2015: 3, 2016: 6, 2017: 9},
    "ecommerce_park_area": {2015: 62_000, 2016: 98_000, 2017: 131_000},
}


@dataclass
class DemoAssessment:
    observations: int = 0
    tasks: int = 0
    bulletin: int | None = None


def _split(total: int, rng: random.Random) -> dict[str, int]:
    weights = {code: w * rng.uniform(0.8, 1.2) for code, w in WEIGHTS.items()}
    scale = sum(weights.values())
    return {code: int(total * w / scale) for code, w in weights.items()}


def generate(session: Session, actor: Actor, *, seed: int = 2017, publish: bool = True) -> DemoAssessment:
    out = DemoAssessment()
    if session.scalar(select(Task.id).limit(1)) is not None:
        return out
    rng = random.Random(seed)
    indicators.load_public_figures(session, actor)
    rows = []
    now = clock.now()
    for indicator, series in CITY_SERIES.items():
        for year, total in series.items():
            parts = {CITY_CODE: total, **_split(total, rng)}
            for division, value in parts.items():
                rows.append({"indicator": indicator, "division_code": division, "period": str(year), "year": year,
                             "value": Decimal(value), "revision": 1, "source": "import", "reference": "",
                             "note": NOTE, "recorded_by": actor.username, "recorded_at": now})
    # Monthly online retail of 2017 for the city: the trend line by month.
    for month in range(1, 13):
        monthly = Decimal(CITY_SERIES["city_online_retail"][2017]) * Decimal(rng.randint(70, 110)) / 1080
        rows.append({"indicator": "city_online_retail", "division_code": CITY_CODE, "period": f"2017-{month:02d}",
                     "year": 2017, "value": monthly.quantize(Decimal(1)), "revision": 1, "source": "import",
                     "reference": "", "note": NOTE, "recorded_by": actor.username, "recorded_at": now})
    session.execute(insert(Observation), rows)
    out.observations = len(rows)
    audit.record(session, actor, "assessment.observation.import", object_type="observation", object_id="demo",
                 detail={"rows": len(rows), "recorded": len(rows), "note": NOTE})
    pack = targets.default_pack()
    for target_id, total in (("T2", 20_000_000_000), ("T5a", 2500), ("T6a", 10)):
        for division, value in _split(total, random.Random(seed + len(target_id))).items():
            targets.set_breakdown(session, actor, pack, target_id=target_id, division=division,
                                  value=str(max(value, 1)))
    scoring.save_scheme(session, actor, year=DEMO_YEAR, name="2017年度电子商务工作考核方案（演示）",
                        items=list(scoring.DEFAULT_ITEMS))
    result = tasks.generate(session, actor, pack_key="lishui-2015", year=DEMO_YEAR)
    out.tasks = result.created
    _task_states(session, actor, rng)
    if publish:
        try:
            out.bulletin = bulletins.publish(session, actor, str(DEMO_YEAR)).id
        except bulletins.FontMissing:
            out.bulletin = None  # the demo runs without a CJK font; bulletins then say what to install
    return out


def _task_states(session: Session, actor: Actor, rng: random.Random) -> None:
    """Spread the tasks over every state, relative to today so the colours show whatever the date."""
    today = clock.today()
    all_tasks = list(session.scalars(select(Task).where(Task.year == DEMO_YEAR).order_by(Task.id)))
    for n, task in enumerate(all_tasks):
        bucket = n % 5
        if bucket == 0:  # overdue: red
            task.due_on = today - dt.timedelta(days=rng.randint(5, 40))
        elif bucket == 1:  # due soon: yellow
            task.due_on = today + dt.timedelta(days=rng.randint(2, 12))
        elif bucket == 2:  # closed with a grade
            task.due_on = today + dt.timedelta(days=30)
            task.status, task.grade, task.closed_on = "closed", rng.choice("AABBC"), today - dt.timedelta(days=3)
            task.closure_note = "已按期完成"
        else:  # on schedule: green
            task.due_on = today + dt.timedelta(days=rng.randint(45, 120))
    session.flush()
    for task in all_tasks[3:40:4]:
        if task.status == "open":
            tasks.report_progress(session, actor, task.id, text="已召开专题会议部署，正在推进",
                                  figures={"完成进度%": "60"}, attachment=None, upload_dir=Path("var/uploads"))
    for task in all_tasks[0:60:10]:
        if task.status == "open":
            tasks.chase(session, actor, task.id, note="请于五个工作日内报送进展")
    pending = next((t for t in all_tasks if t.status == "open" and tasks.colour(t) == "yellow"), None)
    if pending is not None:
        tasks.request_extension(session, actor, pending.id, until=today + dt.timedelta(days=60),
                                reason="项目用地审批未完成")
