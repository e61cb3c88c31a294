"""Import and validate monthly online-retail reports (issue 5): 1,000,000 rows from CSV and 100,000 from Excel,
through the same all-or-nothing upload path as the web page (types, ranges, sums, duplicates, lock dates,
outlier flags against each enterprise's history, then the bulk write of submissions and revisions).

    python benchmarks/stats_import.py [--csv-rows 1000000] [--xlsx-rows 100000]
                                      [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Each file goes into a fresh database (a new SQLite file, or a new PostgreSQL database dropped afterwards) holding
the enterprises the rows name (10 months per enterprise).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.engine import make_url

from lishui.core.actor import system_actor
from lishui.core.crypto import SettingsKeyProvider
from lishui.core.db import Database
from lishui.core.migrate import upgrade
from lishui.registry.demo import make_uscc
from lishui.registry.models import Organisation
from lishui.registry.vocab import COUNTIES
from lishui.stats import imports
from lishui.stats.models import StatsForm, StatsSubmission

SECRET = "benchmark-secret-key-0123456789-abcdefgh"
FORM = "ENT_MONTHLY_RETAIL"
HEADERS = ["统一社会信用代码", "报告期", "网络零售额合计（元）", "其中：实物商品（元）",
           "其中：非实物商品（虚拟商品和服务）（元）", "其中：农产品网络零售额（元）", "按平台：京东（元）"]
MONTHS = [f"2016-{m:02d}" for m in range(1, 11)]


def fresh_database(base_url: str | None, workdir: Path) -> tuple[str, Callable[[], None]]:
    if not base_url:
        return f"sqlite:///{workdir / uuid.uuid4().hex}.sqlite3", lambda: None
    name = "lishui_bench_" + uuid.uuid4().hex[:8]
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base_url).set(database=name).render_as_string(hide_password=False), drop


def enterprises(db: Database, count: int, seed: int = 11) -> list[str]:
    """Insert ``count`` enterprises directly (the registry's own import is measured elsewhere)."""
    rng = random.Random(seed)
    counties = list(COUNTIES)
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        code = make_uscc(rng, "331102")
        if code not in seen:
            seen.add(code)
            codes.append(code)
    with db.unit_of_work() as session:
        for start in range(0, count, 5000):
            session.execute(insert(Organisation), [
                {"uscc": c, "name": f"基准企业{start + i:06d}", "kind": "enterprise",
                 "division_code": counties[(start + i) % len(counties)]}
                for i, c in enumerate(codes[start:start + 5000])])
        # Historic months: the benchmark is about throughput, not the lock date of 2016.
        session.execute(update(StatsForm).where(StatsForm.code == FORM).values(lock_days=None))
    return codes


def rows_for(codes: list[str], seed: int = 5) -> list[list[object]]:
    rng = random.Random(seed)
    rows: list[list[object]] = []
    for n, code in enumerate(codes):
        level = rng.randrange(1_000, 500_000)
        for i, month in enumerate(MONTHS):
            total = level * rng.randrange(80, 125) // 100 * (60 if n % 1000 == 0 and i == 9 else 1)
            physical = total * rng.randrange(70, 100) // 100
            rows.append([code, month, f"{total}.50", f"{physical}.50", total - physical, total // 10, total // 5])
    return rows


def as_csv(rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def as_xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("月报")
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run(kind: str, rows: int, base_url: str | None, workdir: Path) -> None:
    url, drop = fresh_database(base_url, workdir)
    try:
        upgrade(url)
        db = Database(url, SettingsKeyProvider(SECRET))
        codes = enterprises(db, rows // len(MONTHS))
        data = rows_for(codes)
        content = as_csv(data) if kind == "csv" else as_xlsx(data)
        del data
        started = time.perf_counter()
        with db.unit_of_work() as session:
            report = imports.import_file(session, system_actor("bench"), FORM, content, f"bench.{kind}")
            assert report.ok, report.errors[:3]
        elapsed = time.perf_counter() - started
        with db.unit_of_work() as session:
            stored = session.scalar(select(func.count()).select_from(StatsSubmission)) or 0
            flagged = session.scalar(select(func.count()).where(StatsSubmission.flagged.is_(True))) or 0
        db.dispose()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  {kind.upper():<4} {rows:>9,} rows, {len(content) / 1e6:6.1f} MB: {elapsed:7.1f} s "
              f"{stored / elapsed:9,.0f} rows/s; {stored:,} stored, {flagged:,} flagged; peak RSS {peak:,.0f} MB")
        sys.stdout.flush()
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL base URL; SQLite when empty")
    args = parser.parse_args()
    print(f"monthly online-retail reports, database: {'PostgreSQL' if args.database_url else 'SQLite'}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.xlsx_rows:
            run("xlsx", args.xlsx_rows, args.database_url or None, Path(tmp))
        if args.csv_rows:
            run("csv", args.csv_rows, args.database_url or None, Path(tmp))


if __name__ == "__main__":
    main()
