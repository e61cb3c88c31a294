"""Statistics: report forms defined as data, submissions with their revisions, approval, locks and exceptions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lishui.core.clock import now
from lishui.core.db import Base, UTCDateTime


class StatsForm(Base):
    """A report form (报表): what is reported, by whom, for which period, by when."""

    __tablename__ = "stats_forms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str] = mapped_column(String(100), default="")
    period_type: Mapped[str] = mapped_column(String(10))  # day | month | quarter | year
    # What an entry is about: an organisation kind (enterprise, park_operator, ...) or "division" (a county/zone).
    subject: Mapped[str] = mapped_column(String(30))
    # Who fills it in: "self" (the organisation's own users) or "officer" (the county/zone officer).
    reported_by: Mapped[str] = mapped_column(String(10), default="self")
    deadline_days: Mapped[int] = mapped_column(Integer, default=15)  # due this many days after the period ends
    lock_days: Mapped[int | None] = mapped_column(Integer)  # locked this many days after the period ends; None: never
    jump_factor: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=10)  # month-on-month jump that flags
    z_threshold: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=3)  # |z| above which a value is flagged
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    fields: Mapped[list[StatsFormField]] = relationship(
        back_populates="form", lazy="selectin", order_by="StatsFormField.sort_order", cascade="all, delete-orphan"
    )


class StatsFormField(Base):
    """One field of a form: its type and unit, whether required, its range, and the total it is a part of."""

    __tablename__ = "stats_form_fields"
    __table_args__ = (UniqueConstraint("form_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("stats_forms.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100), default="")
    type: Mapped[str] = mapped_column(String(10))  # money | usd | integer | decimal | bool | year | text
    unit: Mapped[str] = mapped_column(String(20), default="")
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    min_value: Mapped[str] = mapped_column(String(30), default="")  # Decimal text; "" = no bound
    max_value: Mapped[str] = mapped_column(String(30), default="")
    part_of: Mapped[str] = mapped_column(String(40), default="")  # key of the total this field is a part of
    outlier_check: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    form: Mapped[StatsForm] = relationship(back_populates="fields")


class StatsSubmission(Base):
    """One entity's report for one period. Values live in its revisions; nothing is overwritten."""

    __tablename__ = "stats_submissions"
    __table_args__ = (
        UniqueConstraint("form_id", "entity_key", "period"),
        Index("ix_stats_submissions_form_period_status", "form_id", "period", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("stats_forms.id"), index=True)
    entity_key: Mapped[str] = mapped_column(String(20))  # o<org id> | d<division code>
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    period: Mapped[str] = mapped_column(String(10))  # 2017-03 | 2017-Q1 | 2017 | 2017-03-15
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), default="submitted")  # submitted|verified|accepted|returned
    current_revision: Mapped[int] = mapped_column(Integer, default=1)
    accepted_revision: Mapped[int | None] = mapped_column(Integer)  # the revision accepted figures come from
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    officer_note: Mapped[str] = mapped_column(Text, default="")
    return_reason: Mapped[str] = mapped_column(Text, default="")
    verified_by: Mapped[str] = mapped_column(String(100), default="")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by: Mapped[str] = mapped_column(String(100), default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    form: Mapped[StatsForm] = relationship(lazy="joined")


class StatsRevision(Base):
    """The values of a submission as of one revision: who, when, why, through which channel, what was flagged."""

    __tablename__ = "stats_revisions"
    __table_args__ = (UniqueConstraint("submission_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("stats_submissions.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    values: Mapped[str] = mapped_column(Text)  # JSON: field key -> canonical text (money in fen, USD in cents)
    flags: Mapped[str] = mapped_column(Text, default="")  # JSON list of outlier flags, "" when none
    reason: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(10))  # web | excel | api | demo
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class StatsLockException(Base):
    """An officer reopens one entity's period after the lock date, until ``expires_on``."""

    __tablename__ = "stats_lock_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("stats_forms.id"), index=True)
    entity_key: Mapped[str] = mapped_column(String(20))
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    period: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    expires_on: Mapped[date] = mapped_column(Date)
    opened_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class StatsPublicFigure(Base):
    """Published figures (not reported through the platform), shown next to the targets and labelled as such."""

    __tablename__ = "stats_public_figures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    division_code: Mapped[str] = mapped_column(String(12))
    indicator: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(30))
    unit: Mapped[str] = mapped_column(String(20), default="")
    source: Mapped[str] = mapped_column(String(300))


class StatsFigure(Base):
    """An accepted figure, one numeric field of one accepted report, for indicator queries (GROUP BY in the
    database). Derived from the accepted revision; rewritten when a correction is accepted. The revisions stay
    the record of what was reported."""

    __tablename__ = "stats_figures"
    __table_args__ = (Index("ix_stats_figures_form_field_period", "form_id", "field_key", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("stats_submissions.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    form_id: Mapped[int] = mapped_column(ForeignKey("stats_forms.id"))
    field_key: Mapped[str] = mapped_column(String(40))
    entity_key: Mapped[str] = mapped_column(String(20))
    division_code: Mapped[str] = mapped_column(String(12))
    period_start: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(24, 4))  # canonical: fen for money, cents for USD


class StatsTotal(Base):
    """Accepted figures added up by form, field, county/zone and period: what flow indicators read, so a query
    touches a few hundred rows however many enterprises report. Kept in step with ``stats_figures``."""

    __tablename__ = "stats_totals"
    __table_args__ = (UniqueConstraint("form_id", "field_key", "division_code", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("stats_forms.id"))
    field_key: Mapped[str] = mapped_column(String(40))
    division_code: Mapped[str] = mapped_column(String(12))
    period_start: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Numeric(28, 4))
    reports: Mapped[int] = mapped_column(Integer)
