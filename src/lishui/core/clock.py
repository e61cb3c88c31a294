"""The platform's clock. Tests move it; code never calls datetime.now() directly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """Aware UTC now, shifted by any test offset."""
    base = _frozen if _frozen is not None else datetime.now(UTC)
    return base + _offset


def today() -> date:
    """Today's date in China Standard Time (UTC+8)."""
    return (now() + timedelta(hours=8)).date()


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes: treat them as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@contextmanager
def shifted(delta: timedelta) -> Iterator[None]:
    global _offset
    previous = _offset
    _offset = previous + delta
    try:
        yield
    finally:
        _offset = previous


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    global _frozen
    previous = _frozen
    _frozen = at
    try:
        yield
    finally:
        _frozen = previous
