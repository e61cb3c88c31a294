"""Working days per the administrator's holiday calendar: weekends and public holidays are not working days,
except weekend days the calendar marks as working days (调休)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lishui.core import audit
from lishui.core.actor import Actor
from lishui.core.errors import FieldError, Forbidden, ValidationFailed
from lishui.funds.models import Holiday

# The provincial 免申即享 / 快申快享 limit: submission to payment.
CLAIM_LIMIT_WORKING_DAYS = 60


def _calendar(session: Session, start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    rows = session.execute(select(Holiday.day, Holiday.is_workday).where(Holiday.day >= start, Holiday.day <= end))
    return {day: bool(workday) for day, workday in rows}


def is_working_day(day: dt.date, calendar: dict[dt.date, bool]) -> bool:
    if day in calendar:
        return calendar[day]
    return day.weekday() < 5


def add_working_days(session: Session, start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    calendar = _calendar(session, start, start + dt.timedelta(days=days * 3 + 60))
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, calendar):
            left -= 1
    return day


def working_days_between(session: Session, start: dt.date, end: dt.date,
                         calendar: dict[dt.date, bool] | None = None) -> int:
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is before ``start``."""
    if end == start:
        return 0
    sign = 1 if end > start else -1
    low, high = (start, end) if sign > 0 else (end, start)
    calendar = calendar if calendar is not None else _calendar(session, low, high)
    count = 0
    day = low
    while day < high:
        day += dt.timedelta(days=1)
        if is_working_day(day, calendar):
            count += 1
    return sign * count


def calendar_between(session: Session, start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    return _calendar(session, start, end)


def list_holidays(session: Session, year: int) -> list[Holiday]:
    return list(session.scalars(select(Holiday).where(Holiday.day >= dt.date(year, 1, 1),
                                                      Holiday.day <= dt.date(year, 12, 31)).order_by(Holiday.day)))


def set_holiday(session: Session, actor: Actor, *, day: dt.date, name: str, is_workday: bool = False) -> Holiday:
    if not actor.can("funds:holiday:write"):
        raise Forbidden()
    name = name.strip()
    if not name:
        raise ValidationFailed("请填写名称", [FieldError("name", "不能为空")])
    holiday = session.get(Holiday, day)
    before = None if holiday is None else {"name": holiday.name, "is_workday": holiday.is_workday}
    if holiday is None:
        holiday = Holiday(day=day, name=name[:50], is_workday=is_workday)
        session.add(holiday)
    else:
        holiday.name, holiday.is_workday = name[:50], is_workday
    session.flush()
    audit.record(session, actor, "funds.holiday.set", object_type="holiday", object_id=day.isoformat(),
                 before=before, after={"name": holiday.name, "is_workday": is_workday})
    return holiday


def remove_holiday(session: Session, actor: Actor, day: dt.date) -> None:
    if not actor.can("funds:holiday:write"):
        raise Forbidden()
    holiday = session.get(Holiday, day)
    if holiday is not None:
        audit.record(session, actor, "funds.holiday.remove", object_type="holiday", object_id=day.isoformat(),
                     before={"name": holiday.name, "is_workday": holiday.is_workday})
        session.delete(holiday)
        session.flush()
