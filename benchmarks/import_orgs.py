"""Import throughput of organisations from a 100,000-row CSV (issue 2), and the cost of SM4 field
encryption of bank accounts on that import (issue 7): the same file imported with the real cipher and
with a pass-through cipher.

    python benchmarks/import_orgs.py [--rows 100000] [--database-url postgresql+psycopg://postgres@127.0.0.1/test]

Each run imports into a fresh database (a new SQLite file, or a new PostgreSQL database that is dropped after).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from lishui.core.actor import system_actor
from lishui.core.crypto import FieldCipher, SettingsKeyProvider
from lishui.core.db import Database
from lishui.core.migrate import upgrade
from lishui.registry import service
from lishui.registry.demo import make_uscc
from lishui.registry.models import Organisation
from lishui.registry.vocab import COUNTIES

SECRET = "benchmark-secret-key-0123456789-abcdefgh"


def build_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["统一社会信用代码", "名称", "机构类别", "所属县（区）", "开户银行", "银行账号", "标签"])
    seen: set[str] = set()
    counties = list(COUNTIES.values())
    for i in range(rows):
        code = make_uscc(rng, "331102")
        while code in seen:
            code = make_uscc(rng, "331102")
        seen.add(code)
        account = "6" + "".join(str(rng.randrange(10)) for _ in range(18))
        writer.writerow([code, f"基准测试企业{i:06d}有限公司", "企业", rng.choice(counties), "丽水农商银行", account,
                         "电商交易、纳入商务统计"])
    return buf.getvalue().encode("utf-8-sig")


class PassThroughCipher(FieldCipher):
    """No encryption: the 'before' figure."""

    def encrypt(self, plaintext: str, context: str) -> str:
        return plaintext

    def blind_index(self, plaintext: str, context: str) -> str:
        return plaintext


def fresh_database(base_url: str | None, workdir: Path) -> tuple[str, callable]:  # type: ignore[valid-type]
    if not base_url:
        path = workdir / f"{uuid.uuid4().hex}.sqlite3"
        return f"sqlite:///{path}", lambda: None
    name = "lishui_bench_" + uuid.uuid4().hex[:8]
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base_url).set(database=name).render_as_string(hide_password=False), drop


def run(content: bytes, base_url: str | None, encrypted: bool, workdir: Path) -> tuple[float, int]:
    url, drop = fresh_database(base_url, workdir)
    try:
        upgrade(url)
        db = Database(url, SettingsKeyProvider(SECRET))
        if not encrypted:
            db.cipher = PassThroughCipher(db.keys)
            db.sessions.kw["info"] = {"keys": db.keys, "cipher": db.cipher}
        started = time.perf_counter()
        with db.unit_of_work() as session:
            report = service.import_organisations(session, system_actor("bench"), content, "bench.csv")
            assert report.ok, report.errors[:3]
        elapsed = time.perf_counter() - started
        with db.unit_of_work() as session:
            count = session.scalar(select(func.count()).select_from(Organisation)) or 0
        db.dispose()
        return elapsed, count
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL base URL; SQLite when empty")
    args = parser.parse_args()
    content = build_csv(args.rows)
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"CSV: {args.rows:,} rows, {len(content) / 1e6:.1f} MB; database: {engine}")
    with tempfile.TemporaryDirectory() as tmp:
        for encrypted in (False, True):
            elapsed, count = run(content, args.database_url or None, encrypted, Path(tmp))
            label = "SM4-GCM + HMAC-SM3 index" if encrypted else "no field encryption     "
            print(f"  {label}: {elapsed:6.2f} s  {count / elapsed:8,.0f} rows/s  ({count:,} rows stored)")


if __name__ == "__main__":
    main()
