"""Database: declarative base with a naming convention, engines for SQLite and PostgreSQL,
and the unit of work that owns each transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from lishui.core.clock import as_utc
from lishui.core.crypto import FieldCipher, KeyProvider

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event decide how transactions start (see below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(connection: Any) -> None:
            # SQLite allows one writer: taking the write lock at BEGIN makes concurrent requests
            # queue (busy timeout) instead of failing when a reader later tries to write.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


class Database:
    """One engine and its session factory; the app and the CLI each hold one."""

    def __init__(self, url: str, keys: KeyProvider, **kwargs: Any) -> None:
        self.url = url
        self.keys = keys
        self.cipher = FieldCipher(keys)
        self.engine = make_engine(url, **kwargs)
        self.sessions = sessionmaker(
            self.engine,
            expire_on_commit=False,
            autoflush=True,
            info={"keys": keys, "cipher": self.cipher},
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Commit when the block ends, roll back everything if it raises. Services never commit."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def cipher_of(session: Session) -> FieldCipher:
    """The field cipher of the database this session belongs to."""
    cipher: FieldCipher = session.info["cipher"]
    return cipher


def keys_of(session: Session) -> KeyProvider:
    keys: KeyProvider = session.info["keys"]
    return keys
