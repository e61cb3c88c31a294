"""Issue 5, performance (assessment side): dashboard, scorecard and bulletin queries over a large observation table.

    python benchmarks/assessment_dashboard.py --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        [--rows 1000000] [--n 30]

The issue's figure (dashboard queries under 200 ms on PostgreSQL at 10 years × 100,000 enterprises) is mostly a
statistics-side figure: enterprise rows are aggregated into indicators there. Here the assessment's own table of
indicator observations is filled to about ``--rows`` rows: the real indicators for the city, the nine counties and
the zone over 10 years (2008–2017) by year, quarter and month, each value with 1–3 revisions, plus synthetic
indicators to reach the size. A fresh database (``lishui_bench_assessment``) is created on the server named by
``--url`` and migrated. Reported: p50/p95/max of ``dashboard.build`` (trend, county bars, target gauges: the three
queries of the page), ``scoring.compute`` (all scorecards with the year before) and ``bulletins.snapshot``
(the bulletin's data, no PDF), each run ``--n`` times after a warm-up, and the HTTP page ``/assessment/dashboard``
through the app (in-process TestClient, signed in as a city officer).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from lishui.assessment import bulletins, dashboard, indicators, scoring
from lishui.assessment.models import Observation
from lishui.config import load_settings
from lishui.core.actor import system_actor
from lishui.core.crypto import SettingsKeyProvider
from lishui.core.db import Database
from lishui.core.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
SECRET = "benchmark-secret-key-0123456789-abcdefgh"
NAME = "lishui_bench_assessment"
YEARS = range(2008, 2018)


def periods() -> list[tuple[str, int]]:
    out = []
    for year in YEARS:
        out.append((str(year), year))
        out += [(f"{year}Q{q}", year) for q in range(1, 5)]
        out += [(f"{year}-{m:02d}", year) for m in range(1, 13)]
    return out


def fill(db: Database, rows: int) -> int:
    rng = random.Random(5)
    divisions = list(indicators.divisions())
    all_periods = periods()
    per_indicator = len(divisions) * len(all_periods) * 2  # about two revisions a value
    synthetic = max(0, rows // per_indicator - len(indicators.INDICATORS))
    codes = list(indicators.INDICATORS) + [f"x{n:04d}" for n in range(synthetic)]
    written = 0
    batch: list[dict[str, Any]] = []
    with db.engine.begin() as conn:
        for code in codes:
            for division in divisions:
                for period, year in all_periods:
                    base = Decimal(rng.randint(1, 10_000_000))
                    for revision in range(1, rng.randint(1, 3) + 1):
                        batch.append({"indicator": code, "division_code": division, "period": period, "year": year,
                                      "value": base + revision, "revision": revision, "source": "import",
                                      "reference": "", "note": "", "recorded_by": "bench"})
                    if len(batch) >= 20_000:
                        conn.execute(insert(Observation), batch)
                        written += len(batch)
                        batch = []
        if batch:
            conn.execute(insert(Observation), batch)
            written += len(batch)
        conn.execute(text("ANALYZE assessment_observations"))
    return written


def timed(label: str, n: int, run: Callable[[], Any]) -> None:
    run()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{label:<48} p50 {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms   max {samples[-1]:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--n", type=int, default=30)
    args = parser.parse_args()
    admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{NAME}"'))
    url = make_url(args.url).set(database=NAME).render_as_string(hide_password=False)
    upgrade(url)
    settings = load_settings(database_url=url, secret_key=SECRET)
    db = Database(url, SettingsKeyProvider(settings.secret_key, settings.field_key))
    started = time.perf_counter()
    written = fill(db, args.rows)
    print(f"observations written: {written:,} in {time.perf_counter() - started:.1f} s "
          f"({len(indicators.divisions())} divisions × {len(periods())} periods over {len(YEARS)} years)")
    with db.unit_of_work() as session:
        from lishui.assessment import tasks

        tasks.generate(session, system_actor("bench"), pack_key="lishui-2015", year=2017)
    with db.sessions() as session:
        timed("dashboard.build (trend + counties + gauges)", args.n, lambda: dashboard.build(
            session, indicator="city_online_retail", division="331100", year=2017))
        timed("dashboard.build, one county", args.n, lambda: dashboard.build(
            session, indicator="rural_stations", division="331122", year=2017))
        timed("scoring.compute (10 scorecards + year before)", args.n, lambda: scoring.compute(session, 2017))
        timed("bulletins.snapshot (no PDF)", args.n, lambda: bulletins.snapshot(session, "2017"))
    from fastapi.testclient import TestClient

    from lishui.main import create_app

    sys.path.insert(0, str(ROOT))
    from tests.factories import Factory, login

    factory = Factory(db)
    account = factory.account("city_officer")
    with TestClient(create_app(settings, db), base_url="http://127.0.0.1") as client:
        login(client, account)
        timed("GET /assessment/dashboard (HTTP, rendered)", args.n,
              lambda: client.get("/assessment/dashboard?indicator=city_online_retail&year=2017"))
    db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
