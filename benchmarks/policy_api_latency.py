"""Issue 3, performance: latency of a single evaluation with its full trace through the JSON API.

    python benchmarks/policy_api_latency.py [--n 500] [--background-orgs 2000]

A fresh SQLite database under ``var/`` is migrated; an enterprise in 莲都区 (331102) is created as a tenant of a
recognised park (registry facts: in_park, tenancy_year, is_ecommerce_trading) with the facts M03 and M22 need
recorded for the year through ``lishui.policy.facts.record_fact`` (M03: 60,000.01 yuan of rent in tenancy year 1
→ 42,000.01; M22: 20,000,000 yuan of growth → 4 steps → 40,000), plus ``--background-orgs`` other organisations
with park tenancies and facts so the database is not empty. A city_officer gets an API token.

The app (``lishui.main.create_app``) is served by uvicorn on 127.0.0.1 in a background thread and called with
httpx over TCP, one request at a time: ``POST /api/v1/policy/evaluate`` with ``{org_id, year, measure}``
(M03, then M22) and with ``{org_id, year}`` (all 22 measures, each with its trace and explanation), ``--n`` times
each after a warm-up. Reported: p50, p95, p99 and max (target p99 under 20 ms). The same evaluation in-process
(``service.evaluate_org`` + ``as_json()`` + ``explain``) is timed too, to show what HTTP, authentication and
serialisation add; if the route does not exist, only the in-process figures can be given, and the script says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from lishui.config import load_settings
from lishui.core.actor import system_actor
from lishui.core.crypto import SettingsKeyProvider
from lishui.core.db import Database
from lishui.core.migrate import upgrade
from lishui.identity import service as identity
from lishui.identity.roles import ROLES
from lishui.main import create_app
from lishui.policy import facts as fact_store
from lishui.policy import service as policy
from lishui.registry import service as registry
from lishui.registry.demo import make_uscc
from lishui.registry.schemas import OrganisationCreate

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
DB_PATH = VAR / "bench-api-latency.sqlite3"
SECRET = "benchmark-secret-key-0123456789-abcdefgh"
PACK = "lishui-2015@2015.1"
YEAR = 2017
ROUTE = "/api/v1/policy/evaluate"


def percentiles(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)

    def p(q: float) -> float:
        return s[min(len(s) - 1, max(0, round(q * len(s)) - 1))]

    return {"p50": statistics.median(s), "p95": p(0.95), "p99": p(0.99), "max": s[-1], "mean": statistics.fmean(s)}


def org(session: Any, rng: random.Random, name: str, kind: str, division: str, tags: list[str] | None = None) -> int:
    created = registry.create_organisation(session, system_actor("benchmark"), OrganisationCreate(
        uscc=make_uscc(rng, division if division != "331199" else "331100"), name=name, kind=kind,
        division_code=division, tags=tags or []))
    return created.id


def build_database(background: int) -> tuple[str, int, dict[str, str]]:
    """A fresh migrated database with the enterprise, background organisations and a city officer's token."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(DB_PATH) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{DB_PATH}"
    upgrade(url)
    db = Database(url, SettingsKeyProvider(SECRET, ""))
    rng = random.Random(3)
    system = system_actor("benchmark")
    t0 = time.perf_counter()
    symbols = policy.packs()[PACK].symbols
    print(f"shipped packs loaded and checked in {(time.perf_counter() - t0) * 1000:.0f} ms (once per process)")
    with db.unit_of_work() as session:
        government = org(session, rng, "丽水市商务局（基准测试）", "government", "331100")
        operator = org(session, rng, "基准测试园区运营有限公司", "park_operator", "331102")
        park = registry.create_park(session, system, name="基准测试电商园", operator_org_id=operator,
                                    division_code="331102", total_area_m2=Decimal("50000.00"))
        target = org(session, rng, "基准测试电子商务有限公司", "enterprise", "331102", ["ecommerce_trading"])
        registry.add_tenancy(session, system, park.id, org_id=target, move_in_date=dt.date(YEAR, 3, 1),
                             leased_area_m2=Decimal("200.00"))
        facts = {"annual_rent": "60000.01", "in_cross_border_park": "false", "online_retail_included": "true",
                 "first_included_year": "2015", "online_retail": "24000000.00", "online_retail_base": "4000000.00",
                 "online_retail_highest_prior": "4000000.00"}
        for name, value in facts.items():
            fact_store.record_fact(session, system, symbols, org_id=target, year=YEAR, name=name, value=value)
        for i in range(background):
            other = org(session, rng, f"基准测试背景企业{i:05d}有限公司", "enterprise", "331102",
                        ["ecommerce_trading"] if i % 2 else ["ecommerce_service"])
            registry.add_tenancy(session, system, park.id, org_id=other,
                                 move_in_date=dt.date(YEAR - i % 4, 1 + i % 12, 1), leased_area_m2=Decimal("100.00"))
            for name, value in (("annual_rent", f"{rng.randrange(1, 200000)}.{rng.randrange(100):02d}"),
                                ("in_cross_border_park", "false"), ("online_retail_included", "true")):
                fact_store.record_fact(session, system, symbols, org_id=other, year=YEAR, name=name, value=value)
        role = ROLES["city_officer"]
        assert "government" in role.org_kinds
        user = identity.create_user(session, system, username="bench-city-officer", display_name="基准测试市级业务人员",
                                    org_id=government, role="city_officer", password="Correct-Horse-42!")
        token = identity.create_token(session, system, user_id=user.id, name="benchmark")
    db.dispose()
    return url, target, {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(call: Callable[[], Any], n: int) -> tuple[list[float], Any]:
    samples = []
    last = None
    for _ in range(n):
        t0 = time.perf_counter()
        last = call()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples, last


def row(label: str, samples: list[float], extra: str = "") -> None:
    p = percentiles(samples)
    print(f"{label:46}{p['p50']:7.2f}{p['p95']:7.2f}{p['p99']:7.2f}{p['max']:8.2f}{p['mean']:7.2f}  {extra}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="timed requests per case (default 500)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--background-orgs", type=int, default=2000,
                        help="other organisations (park tenants with facts) in the database")
    args = parser.parse_args()
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min) on {os.cpu_count()} CPUs")

    t0 = time.perf_counter()
    url, target, headers = build_database(args.background_orgs)
    print(f"database {DB_PATH.relative_to(ROOT)}: migrated and filled with {args.background_orgs + 3:,} "
          f"organisations in {time.perf_counter() - t0:.1f} s")

    settings = load_settings(database_url=url, secret_key=SECRET, upload_dir=VAR / "bench-api-uploads")
    db = Database(url, SettingsKeyProvider(SECRET, ""))
    app = create_app(settings, db)

    cases: list[tuple[str, dict[str, Any]]] = [
        ("one measure, M03 (schedule, cap)", {"org_id": target, "year": YEAR, "measure": "M03"}),
        ("one measure, M22 (steps, cap)", {"org_id": target, "year": YEAR, "measure": "M22"}),
        ("all 22 measures", {"org_id": target, "year": YEAR}),
    ]
    expected = {"M03": "42000.01", "M22": "40000.00"}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    # Does the route exist? Without a token an existing route refuses (401, or 422 on a bad body); a missing one
    # is 404/405.
    probe = httpx.post(f"http://127.0.0.1:{port}{ROUTE}", json={}, timeout=30).status_code
    has_route = probe not in (404, 405)
    print(f"POST {ROUTE} without a token answers {probe}: the route is {'present' if has_route else 'ABSENT'}")

    print(f"\n{'ms, ' + str(args.n) + ' sequential calls each':46}{'p50':>7}{'p95':>7}{'p99':>7}{'max':>8}{'mean':>7}")
    if has_route:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as client:
            t0 = time.perf_counter()
            first = client.post(ROUTE, json=cases[2][1])
            cold_ms = (time.perf_counter() - t0) * 1000
            if first.status_code != 200:
                raise SystemExit(f"{ROUTE} answered {first.status_code}: {first.text[:500]}")
            for label, body in cases:
                for _ in range(args.warmup):
                    client.post(ROUTE, json=body)
                samples, resp = timed(lambda body=body: client.post(ROUTE, json=body), args.n)
                assert resp.status_code == 200, resp.text[:300]
                data = resp.json()
                amounts = {r["measure"]: r["amount"] for r in data["results"]}
                for m, amount in expected.items():
                    if m in amounts and amounts[m] != amount:
                        raise SystemExit(f"{m}: expected {amount}, got {amounts[m]}")
                traced = sum(1 for r in data["results"] if r["trace"])
                row(f"HTTP {label}", samples, f"{len(resp.content) / 1024:,.0f} KB, {traced} traces, "
                    f"total {data['total_amount']}")
            print(f"(first call after the server started, all measures: {cold_ms:.0f} ms)")
    else:
        print(f"NOTE: the app has no POST {ROUTE} yet: measuring the service in-process only.")

    from lishui.identity.models import User
    from lishui.registry import get_organisation_unscoped

    with db.unit_of_work() as session:
        user = session.query(User).filter_by(username="bench-city-officer").one()
        actor = identity.actor_for(user, get_organisation_unscoped(session, user.org_id), mfa_verified=True)

    def in_process(measure: str | None) -> Any:
        with db.unit_of_work() as session:
            pack, entity, results = policy.evaluate_org(session, actor, target, YEAR, measure_id=measure)
            return [{**r.as_json(), "explanation": policy.explain(pack, entity, r)} for r in results]

    for label, body in cases:
        measure = body.get("measure")
        for _ in range(args.warmup):
            in_process(measure)
        samples, out = timed(lambda measure=measure: in_process(measure), args.n)
        amounts = {r["measure"]: r["amount"] for r in out}
        for m, amount in expected.items():
            if m in amounts and amounts[m] != amount:
                raise SystemExit(f"in-process {m}: expected {amount}, got {amounts[m]}")
        row(f"in-process {label}", samples, "evaluate_org + as_json + explain")
    server.should_exit = True
    thread.join(timeout=10)
    db.dispose()
    print(f"\ntarget p99 < 20 ms; route {ROUTE}: {'present' if has_route else 'ABSENT'}")
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
