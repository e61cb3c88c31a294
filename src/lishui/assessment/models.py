"""Assessment: responsibility tasks (督查), indicator observations, target breakdowns, scoring schemes,
published bulletins (通报)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lishui.core.clock import now
from lishui.core.db import Base, UTCDateTime


class UnitLink(Base):
    """A 责任单位 / 配合单位 name as the policy text writes it, and the registered organisation it means."""

    __tablename__ = "assessment_unit_links"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    linked_by: Mapped[str] = mapped_column(String(80))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Task(Base):
    """One unit's duty under one clause of a pack, for one year."""

    __tablename__ = "assessment_tasks"
    __table_args__ = (UniqueConstraint("pack_id", "year", "clause_id", "unit_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(50))
    year: Mapped[int] = mapped_column(Integer, index=True)
    clause_id: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    measures: Mapped[str] = mapped_column(String(200), default="")  # "M03,M04"
    unit_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(12))  # responsible | cooperating
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    extended_to: Mapped[date | None] = mapped_column(Date)
    report_every_days: Mapped[int] = mapped_column(Integer, default=30)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    grade: Mapped[str] = mapped_column(String(4), default="")  # A B C D when closed
    closed_on: Mapped[date | None] = mapped_column(Date)
    closure_note: Mapped[str] = mapped_column(Text, default="")
    last_report_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    created_by: Mapped[str] = mapped_column(String(80))


class TaskEvent(Base):
    """What happened to a task: progress reports, chase-ups, deadline changes, extension decisions, closure."""

    __tablename__ = "assessment_task_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("assessment_tasks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # report | chase | deadline | extension | closure
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    by: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[str] = mapped_column(Text, default="")  # JSON object: label -> value, for reports
    attachment_name: Mapped[str] = mapped_column(String(200), default="")
    attachment_stored: Mapped[str] = mapped_column(String(64), default="")
    attachment_sha256: Mapped[str] = mapped_column(String(64), default="")


class Extension(Base):
    __tablename__ = "assessment_task_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("assessment_tasks.id"), index=True)
    requested_until: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | approved | rejected
    decided_by: Mapped[str] = mapped_column(String(80), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")


class Observation(Base):
    """One revision of an indicator's value for a division and period ("2017", "2017Q2", "2017-06").
    Corrections add a revision; nothing is overwritten."""

    __tablename__ = "assessment_observations"
    __table_args__ = (UniqueConstraint("indicator", "division_code", "period", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(60))
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    period: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(10))  # entered | import | public
    reference: Mapped[str] = mapped_column(String(300), default="")  # who published a public figure
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class TargetBreakdown(Base):
    """A county's (or the zone's) share of a 2018 target, set by the assessment office."""

    __tablename__ = "assessment_target_breakdowns"
    __table_args__ = (UniqueConstraint("pack_id", "target_id", "division_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str] = mapped_column(String(10))
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    set_by: Mapped[str] = mapped_column(String(80))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Scheme(Base):
    """The scoring scheme of one assessment year; a change adds a version (items as JSON)."""

    __tablename__ = "assessment_schemes"
    __table_args__ = (UniqueConstraint("year", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    items: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Bulletin(Base):
    """A published progress bulletin: its content and its PDF, immutable (database triggers refuse changes)."""

    __tablename__ = "assessment_bulletins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(10), index=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)  # JSON snapshot of what the page shows
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    published_by: Mapped[str] = mapped_column(String(80))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
