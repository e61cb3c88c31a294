"""Indicator queries at scale (issue 5): accepted monthly online retail of 100,000 enterprises over 10 years
(12,000,000 accepted reports and figures), then the indicator table for a year by month, quarter and year, as the
indicator page asks for it (city-wide and one county), and then, with those statistics in place, the assessment
dashboard that reads them through ``assessment/stats_source.py`` (the issue's figure: under 200 ms).

    python benchmarks/stats_indicators.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
                                          [--enterprises 100000] [--years 10] [--n 20] [--keep | --reuse NAME]

Prints the load time, the totals rebuild time and the median and worst of 20 runs of each indicator table; then
p50/p95/max over ``--n`` runs (after a warm-up) of ``dashboard.build`` for the city and for one county
(331122), ``scoring.compute`` (all scorecards with the year before), ``bulletins.snapshot`` (no PDF) and the HTTP
page ``/assessment/dashboard`` through the app (in-process TestClient, signed in as a city officer), all for the
last loaded year.

PostgreSQL only. The rows are loaded with COPY into a fresh database (about 17 minutes at full size), dropped at
the end unless ``--keep`` (which prints its name); ``--reuse NAME`` skips creating and loading and times an
already loaded database (migrated to head first). Drop a kept database with ``DROP DATABASE "NAME" WITH (FORCE)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from lishui.assessment import bulletins, dashboard, scoring, tasks
from lishui.config import load_settings
from lishui.core.actor import Actor, system_actor
from lishui.core.crypto import SettingsKeyProvider
from lishui.core.db import Database
from lishui.core.migrate import upgrade
from lishui.registry.vocab import COUNTIES
from lishui.stats import indicators, service
from lishui.stats.models import StatsForm

ROOT = Path(__file__).resolve().parents[1]
FIRST_YEAR = 2015
SECRET = "benchmark-secret-key-0123456789-abcdefgh"


def fresh_database(base_url: str) -> tuple[str, Callable[[], None]]:
    name = "lishui_bench_" + uuid.uuid4().hex[:8]
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base_url).set(database=name).render_as_string(hide_password=False), drop


def load(db: Database, enterprises: int, years: int) -> float:
    """Enterprises, their accepted monthly reports and figures, by COPY; returns seconds."""
    rng = random.Random(3)
    counties = list(COUNTIES)
    started = time.perf_counter()
    with db.unit_of_work() as session:
        form_id = session.scalar(select(StatsForm.id).where(StatsForm.code == "ENT_MONTHLY_RETAIL"))
        driver = session.connection().connection.driver_connection
        assert driver is not None
        with driver.cursor() as cur:
            with cur.copy("COPY organisations (id, uscc, name, kind, division_code, address, legal_representative, "
                          "contact_name, contact_phone, contact_email, bank_name, bank_account_cipher, "
                          "bank_account_index, bank_account_masked, is_active, created_at, updated_at, revision) "
                          "FROM STDIN") as copy:
                now = dt.datetime.now(dt.UTC)
                for n in range(1, enterprises + 1):
                    copy.write_row([n, f"B{n:017d}", f"基准企业{n}", "enterprise", counties[n % len(counties)], "",
                                    "", "", "", "", "", "", "", "", True, now, now, 1])
            sub_id = 0
            with cur.copy("COPY stats_submissions (id, form_id, entity_key, org_id, division_code, period, "
                          "period_start, period_end, status, current_revision, accepted_revision, flagged, "
                          "officer_note, return_reason, verified_by, accepted_by, created_at, updated_at) "
                          "FROM STDIN") as copy:
                for year in range(FIRST_YEAR, FIRST_YEAR + years):
                    for month in range(1, 13):
                        start = dt.date(year, month, 1)
                        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
                        for n in range(1, enterprises + 1):
                            sub_id += 1
                            copy.write_row([sub_id, form_id, f"o{n}", n, counties[n % len(counties)],
                                            f"{year}-{month:02d}", start, end, "accepted", 1, 1, False, "", "",
                                            "bench", "bench", now, now])
            sub_id = 0
            with cur.copy("COPY stats_figures (submission_id, revision, form_id, field_key, entity_key, "
                          "division_code, period_start, value) FROM STDIN") as copy:
                for year in range(FIRST_YEAR, FIRST_YEAR + years):
                    for month in range(1, 13):
                        start = dt.date(year, month, 1)
                        for n in range(1, enterprises + 1):
                            sub_id += 1
                            copy.write_row([sub_id, 1, form_id, "online_retail", f"o{n}",
                                            counties[n % len(counties)], start, rng.randrange(100_000, 90_000_000)])
    return time.perf_counter() - started


def timed(db: Database, actor: Actor, year: int, granularity: str, runs: int = 20) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with db.unit_of_work() as session:
            indicators.compute(session, actor, indicator="online_retail", year=year, granularity=granularity)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def sync_sequences(db: Database) -> None:
    """COPY wrote explicit ids: move the id sequences past them, so the app can add rows (the signed-in user)."""
    with db.unit_of_work() as session:
        for table in ("organisations", "stats_submissions", "stats_figures"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (fixed names)
                                 f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"))


def percentiles(label: str, n: int, run: Callable[[], Any]) -> None:
    run()  # warm-up
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"  {label:<46} p50 {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms   max {samples[-1]:7.1f} ms")
    sys.stdout.flush()


def time_assessment(db: Database, url: str, year: int, n: int) -> None:
    """The assessment dashboard, scorecards, bulletin data and page, reading the statistics loaded above."""
    with db.unit_of_work() as session:
        tasks.generate(session, system_actor("bench"), pack_key="lishui-2015", year=year)
    print(f"assessment over the statistics, {year} (city_online_retail from stats; {n} runs after a warm-up):")
    with db.sessions() as session:
        percentiles("dashboard.build, city (331100)", n, lambda: dashboard.build(
            session, indicator="city_online_retail", division="331100", year=year))
        percentiles("dashboard.build, one county (331122)", n, lambda: dashboard.build(
            session, indicator="city_online_retail", division="331122", year=year))
        percentiles("scoring.compute (scorecards + year before)", n, lambda: scoring.compute(session, year))
        percentiles("bulletins.snapshot (no PDF)", n, lambda: bulletins.snapshot(session, str(year)))
    from fastapi.testclient import TestClient

    from lishui.main import create_app

    sys.path.insert(0, str(ROOT))
    from tests import factories

    factories._counter = itertools.count(int(time.time()))  # new user names when a kept database is reused
    account = factories.Factory(db).account("city_officer")
    settings = load_settings(database_url=url, secret_key=SECRET)
    with TestClient(create_app(settings, db), base_url="http://127.0.0.1") as client:
        factories.login(client, account)
        for division in ("331100", "331122"):
            page = f"/assessment/dashboard?indicator=city_online_retail&division={division}&year={year}"
            assert client.get(page).status_code == 200

            def get(page: str = page) -> None:
                client.get(page)

            percentiles(f"GET /assessment/dashboard ({division}, HTTP)", n, get)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="PostgreSQL base URL")
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--n", type=int, default=20, help="runs of each assessment timing")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end; print its name")
    parser.add_argument("--reuse", metavar="NAME", help="use this already loaded database (no create, no load)")
    args = parser.parse_args()
    if args.reuse:
        url = make_url(args.database_url).set(database=args.reuse).render_as_string(hide_password=False)
        name = args.reuse
        drop: Callable[[], None] | None = None
    else:
        url, drop_fresh = fresh_database(args.database_url)
        name = make_url(url).database or ""
        drop = drop_fresh
        print(f"database {name}")
    try:
        if args.reuse:
            upgrade(url)  # a database kept by an older checkout gets the newer migrations
            db = Database(url, SettingsKeyProvider(SECRET))
            print(f"reusing database {name}")
        else:
            upgrade(url)
            db = Database(url, SettingsKeyProvider(SECRET))
            reports = args.enterprises * args.years * 12
            seconds = load(db, args.enterprises, args.years)
            print(f"loaded {args.enterprises:,} enterprises × {args.years} years = {reports:,} accepted monthly "
                  f"reports and figures in {seconds:.0f} s (COPY)")
            started = time.perf_counter()
            with db.unit_of_work() as session:
                totals = service.rebuild_totals(session)
            print(f"totals rebuilt from the figures: {totals:,} rows in {time.perf_counter() - started:.1f} s")
        sys.stdout.flush()
        city = system_actor("bench")
        county = Actor(user_id=None, username="bench-county", display_name="县", role="county_officer",
                       org_id=None, permissions=frozenset({"stats:indicator:read"}), scope="division",
                       scope_division="331122")
        year = FIRST_YEAR + args.years - 1
        for who, actor in (("city", city), ("county", county)):
            for granularity in ("month", "quarter", "year"):
                median, worst = timed(db, actor, year, granularity)
                print(f"  online retail {year} by {granularity:<7} ({who:<6}): median {median:6.1f} ms, "
                      f"worst {worst:6.1f} ms")
        sys.stdout.flush()
        sync_sequences(db)
        time_assessment(db, url, year, args.n)
        db.dispose()
    finally:
        if args.keep or drop is None:
            print(f"database kept: {name}")
        else:
            drop()

if __name__ == "__main__":
    main()
