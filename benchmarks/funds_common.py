"""Shared set-up of the funds benchmarks: a fresh migrated database with many organisations (bulk insert)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from lishui.core.clock import now
from lishui.core.crypto import SettingsKeyProvider
from lishui.core.db import Database
from lishui.core.migrate import upgrade
from lishui.registry.models import Organisation

SECRET = "benchmark-secret-key-0123456789-abcdefgh"
DIVISIONS = ["331102", "331121", "331122", "331123", "331124", "331125", "331126", "331127", "331181", "331199"]


def fresh_database(base_url: str | None, workdir: Path) -> tuple[Database, Callable[[], None]]:
    """A new SQLite file, or a new PostgreSQL database dropped by the returned function."""
    if not base_url:
        url = f"sqlite:///{workdir}/bench-{uuid.uuid4().hex[:6]}.sqlite3"
        upgrade(url)
        db = Database(url, SettingsKeyProvider(SECRET))
        return db, db.dispose
    name = f"lishui_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    db = Database(url, SettingsKeyProvider(SECRET))

    def drop() -> None:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return db, drop


def insert_organisations(db: Database, count: int) -> list[tuple[int, str]]:
    """``count`` enterprises spread over the counties (with a masked bank account); their (id, division)."""
    stamp = now()
    rows = [{"uscc": f"91331102{i:09d}0", "name": f"基准测试电子商务有限公司{i:06d}", "kind": "enterprise",
             "division_code": DIVISIONS[i % len(DIVISIONS)], "bank_name": "丽水农商银行",
             "bank_account_masked": f"6228****{i % 10000:04d}", "created_at": stamp, "updated_at": stamp}
            for i in range(count)]
    with db.unit_of_work() as session:
        for start in range(0, count, 5000):
            session.execute(insert(Organisation), rows[start:start + 5000])
    with db.unit_of_work() as session:
        return [(r.id, r.division_code) for r in session.execute(
            text("SELECT id, division_code FROM organisations ORDER BY id"))]
