"""A fresh migrated database for the marketplace benchmarks (a new SQLite file, or a new PostgreSQL database that
is dropped afterwards), and bulk-made registry organisations."""

from __future__ import annotations

import random
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from lishui.core.crypto import SettingsKeyProvider
from lishui.core.db import Database
from lishui.core.migrate import upgrade
from lishui.registry.demo import make_uscc
from lishui.registry.models import Organisation
from lishui.registry.vocab import COUNTIES

SECRET = "benchmark-secret-key-0123456789-abcdefgh"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_database(url: str) -> Iterator[Database]:
    if url.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="lishui-bench-")
        target = f"sqlite:///{folder}/bench.sqlite3"
        upgrade(target)
        db = Database(target, SettingsKeyProvider(SECRET, None))
        yield db
        db.dispose()
        return
    name = "lishui_bench_" + uuid.uuid4().hex[:8]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(target)
        db = Database(target, SettingsKeyProvider(SECRET, None))
        yield db
        db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_orgs(db: Database, count: int, kind: str, rng: random.Random, prefix: str) -> list[int]:
    counties = list(COUNTIES)
    seen: set[str] = set()
    rows = []
    for i in range(count):
        code = make_uscc(rng, "331102")
        while code in seen:
            code = make_uscc(rng, "331102")
        seen.add(code)
        rows.append({"uscc": code, "name": f"{prefix}{i:06d}有限公司", "kind": kind,
                     "division_code": rng.choice(counties)})
    with db.unit_of_work() as session:
        for start in range(0, len(rows), 2000):
            session.execute(insert(Organisation), rows[start:start + 2000])
        return list(session.scalars(select(Organisation.id).where(Organisation.kind == kind)
                                    .order_by(Organisation.id)))
