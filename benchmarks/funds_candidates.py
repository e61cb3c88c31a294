"""Issue 4: time from a completed batch run to 免申即享 candidate claims, for 100,000 entities.

    python benchmarks/funds_candidates.py [--entities 100000] [--database-url postgresql+psycopg://postgres@127.0.0.1/test]

A fresh database gets ``--entities`` enterprises and a completed batch run of the city pack with one eligible
candidate per entity (M22, 10,000–50,000 yuan), as ``policy.service.run_batch`` stores them. Timed:
``funds.candidates.create_candidates`` in one unit of work (the claims, their first history event and the
applicants' notifications, written in bulk), then the same call again (every claim already open: nothing written).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from funds_common import fresh_database, insert_organisations

from lishui.core.actor import system_actor
from lishui.core.clock import now
from lishui.funds import candidates
from lishui.funds.models import Claim
from lishui.policy import service as policy
from lishui.policy.models import BatchCandidate, BatchRun

YEAR = 2016


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL base URL; SQLite when empty")
    args = parser.parse_args()
    engine = "PostgreSQL" if args.database_url else "SQLite"
    with tempfile.TemporaryDirectory() as tmp:
        db, drop = fresh_database(args.database_url or None, Path(tmp))
        try:
            started = time.perf_counter()
            orgs = insert_organisations(db, args.entities)
            pack = policy.pack_in_force(YEAR, "331102")
            with db.unit_of_work() as session:
                run = BatchRun(pack_id=pack.id, pack_version=pack.version, year=YEAR, started_by="bench", status="done",
                               entities=len(orgs), candidates=len(orgs), finished_at=now())
                session.add(run)
                session.flush()
                rows = [{"run_id": run.id, "org_id": org_id, "measure_id": "M22", "kind": "eligible",
                         "amount_fen": 1_000_000 * (1 + i % 5), "missing_condition": ""}
                        for i, (org_id, _) in enumerate(orgs)]
                for start in range(0, len(rows), 5000):
                    session.execute(insert(BatchCandidate), rows[start:start + 5000])
                run_id = run.id
            print(f"{engine}: set-up of {len(orgs):,} entities and a completed run: "
                  f"{time.perf_counter() - started:.1f} s")
            actor = system_actor("bench")
            started = time.perf_counter()
            with db.unit_of_work() as session:
                report = candidates.create_candidates(session, actor, run_id)
            first = time.perf_counter() - started
            with db.unit_of_work() as session:
                count = session.scalar(select(func.count()).select_from(Claim).where(Claim.state == "candidate"))
            print(f"candidate claims created: {report.created:,} (in the database: {count:,}) in {first:.2f} s "
                  f"— {report.created / first:,.0f} claims/s")
            started = time.perf_counter()
            with db.unit_of_work() as session:
                again = candidates.create_candidates(session, actor, run_id)
            print(f"second call: {again.created} created, {again.skipped_existing:,} already open, "
                  f"{time.perf_counter() - started:.2f} s")
        finally:
            drop()


if __name__ == "__main__":
    main()
