"""Issue 4: latency of the reviewer queue page (``GET /funds/claims``) with 100,000 claims.

    python benchmarks/funds_queue.py [--claims 100000] [--n 50] [--database-url postgresql+psycopg://postgres@127.0.0.1/test]

A fresh database gets ``--claims`` claims of as many enterprises, spread over the ten jurisdictions, eleven states,
six measures and a year of ages. A Liandu (331102) reviewer and a city officer sign in; the page is requested
in-process (FastAPI's TestClient: routing, guard, session, query, template) ``--n`` times per filter after a
warm-up. Reported: p50, p95 and max per filter, and the number of claims the filter matches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from funds_common import SECRET, fresh_database, insert_organisations
from tests.factories import Factory, login

from lishui.config import load_settings
from lishui.core.clock import now, today
from lishui.core.money import Money
from lishui.funds.models import Claim
from lishui.funds.service import STATES
from lishui.main import create_app

MEASURES = ["M03", "M06", "M08", "M12", "M21", "M22"]


def insert_claims(db, orgs: list[tuple[int, str]]) -> None:
    states = list(STATES)
    stamp = now()
    rows = []
    for i, (org_id, division) in enumerate(orgs):
        age = dt.timedelta(days=i % 365, hours=i % 24)
        submitted = stamp - age
        rows.append({"org_id": org_id, "division_code": division, "measure_id": MEASURES[i % len(MEASURES)],
                     "measure_title": "基准", "pack_key": "lishui-2015@2015.1", "year": 2016, "budget_line": "general",
                     "live_key": f"{org_id}:{MEASURES[i % len(MEASURES)]}:2016", "origin": "application",
                     "state": states[(i // 7) % len(states)], "amount": Money(1_000_000), "estimate": Money(1_000_000),
                     "amount_reason": "", "facts_json": "{}", "explanation": "", "not_duplicated_group": "",
                     "payee_name": "基准", "bank_name": "", "bank_account_masked": "", "created_at": submitted,
                     "submitted_at": submitted, "submitted_on": submitted.date(),
                     "due_on": today() + dt.timedelta(days=60 - i % 120), "step_due_on": today()
                     + dt.timedelta(days=10 - i % 30), "state_changed_at": submitted, "city_part": Money(0),
                     "county_part": Money(0), "reject_reason": "", "revision": 1})
    with db.unit_of_work() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Claim.__table__), rows[start:start + 5000])


def timed(client: TestClient, url: str, n: int) -> list[float]:
    client.get(url)
    out = []
    for _ in range(n):
        started = time.perf_counter()
        resp = client.get(url)
        out.append((time.perf_counter() - started) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--database-url", default="", help="PostgreSQL base URL; SQLite when empty")
    args = parser.parse_args()
    engine = "PostgreSQL" if args.database_url else "SQLite"
    with tempfile.TemporaryDirectory() as tmp:
        db, drop = fresh_database(args.database_url or None, Path(tmp))
        try:
            started = time.perf_counter()
            insert_claims(db, insert_organisations(db, args.claims))
            print(f"{engine}: {args.claims:,} claims loaded in {time.perf_counter() - started:.1f} s")
            settings = load_settings(database_url=db.url, secret_key=SECRET, login_rate_per_minute=100_000)
            app = create_app(settings, db)
            factory = Factory(db)
            cases = {
                "reviewer": (factory.account("reviewer", division="331102"), [
                    "/funds/claims?state=submitted", "/funds/claims?state=submitted&measure=M22",
                    "/funds/claims?state=submitted&age=30", "/funds/claims?overdue=true", "/funds/claims"]),
                "city_officer": (factory.account("city_officer"), [
                    "/funds/claims?state=city_review", "/funds/claims?state=city_review&division=331122&measure=M03",
                    "/funds/claims?overdue=true&page=20", "/funds/claims"]),
            }
            print(f"{'who':<13} {'filter':<48} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for who, (account, urls) in cases.items():
                with TestClient(app, base_url="http://127.0.0.1") as client:
                    login(client, account)
                    for url in urls:
                        ms = sorted(timed(client, url, args.n))
                        p95 = ms[max(0, int(len(ms) * 0.95) - 1)]
                        print(f"{who:<13} {url:<48} {statistics.median(ms):8.1f} {p95:8.1f} {ms[-1]:8.1f}")
        finally:
            drop()


if __name__ == "__main__":
    main()
