"""Test fixtures: a fresh migrated database per test (SQLite file copy, or a PostgreSQL database cloned
from a migrated template), the app, a client, and factories.

LISHUI_DATABASE_URL chooses the engine: unset or sqlite → SQLite; postgresql+psycopg://… → PostgreSQL
(the server must be reachable: the suite fails, it does not skip).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lishui.config import Settings, load_settings
from lishui.core.crypto import SettingsKeyProvider
from lishui.core.db import Database
from lishui.core.migrate import upgrade
from lishui.main import create_app

TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
BASE_URL = os.environ.get("LISHUI_DATABASE_URL", "")
IS_PG = BASE_URL.startswith("postgresql")


def _pg_admin_engine():
    return create_engine(BASE_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per test session; each test gets a copy."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if IS_PG:
        name = f"lishui_tmpl_{worker}_{uuid.uuid4().hex[:6]}"
        engine = _pg_admin_engine()
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(BASE_URL).set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield name
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
    else:
        path = tmp_path_factory.mktemp("tmpl") / "template.sqlite3"
        upgrade(f"sqlite:///{path}")
        yield str(path)


@contextlib.contextmanager
def scratch_database(folder: Path, template: str | None) -> Iterator[str]:
    """A database for as long as the block runs: a copy of the migrated ``template``, or, without one, an empty
    database (on SQLite a path in ``folder``, which is not created: where a restore lands on a new server)."""
    if IS_PG:
        name = "lishui_t_" + uuid.uuid4().hex[:12]
        engine = _pg_admin_engine()
        clone = f' TEMPLATE "{template}"' if template else ""
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clone}'))
        try:
            yield make_url(BASE_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()
    else:
        path = folder / f"{uuid.uuid4().hex[:8]}.sqlite3"
        if template:
            shutil.copyfile(template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def database_url(template_db: str, tmp_path: Path) -> Iterator[str]:
    with scratch_database(tmp_path, template_db) as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(database_url=database_url, secret_key=TEST_SECRET, upload_dir=tmp_path / "uploads",
                         login_rate_per_minute=1000, export_rate_per_minute=1000)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url, SettingsKeyProvider(settings.secret_key, settings.field_key))
    yield database
    database.dispose()


@pytest.fixture
def app(settings: Settings, db: Database):
    return create_app(settings, db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture
def factory(db: Database):
    from tests.factories import Factory

    return Factory(db)


CSRF_RE = re.compile(r'name="csrf-token" content="([0-9a-f]+)"|name="csrf_token" value="([0-9a-f]+)"')


def csrf_from(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "page has no CSRF token"
    return m.group(1) or m.group(2)
