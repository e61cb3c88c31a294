"""Special funds in the database: budgets and their lines, claims with their history and evidence, the
double-entry ledger (append-only), payment batches, public notices and objections, the holiday calendar."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lishui.core.clock import now
from lishui.core.db import Base, UTCDateTime
from lishui.core.money import Money, MoneyType

BigId = BigInteger().with_variant(Integer, "sqlite")


class Budget(Base):
    """The special fund of one year."""

    __tablename__ = "funds_budgets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class BudgetLine(Base):
    """A line of a year's fund (general, rural) from one funding source (city, provincial).

    ``appropriated``, ``committed`` and ``spent`` are running totals kept in step with the ledger in the same
    transaction, under a row lock; ``reconcile`` proves they equal the ledger's balances."""

    __tablename__ = "funds_budget_lines"
    __table_args__ = (UniqueConstraint("budget_id", "line", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("funds_budgets.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    line: Mapped[str] = mapped_column(String(20))  # general | rural
    source: Mapped[str] = mapped_column(String(20), default="city")  # city | provincial
    label: Mapped[str] = mapped_column(String(200), default="")
    appropriated: Mapped[Money] = mapped_column(MoneyType(), default=Money(0))
    committed: Mapped[Money] = mapped_column(MoneyType(), default=Money(0))
    spent: Mapped[Money] = mapped_column(MoneyType(), default=Money(0))

    @property
    def available(self) -> Money:
        return self.appropriated - self.committed - self.spent


class MeasureAllocation(Base):
    """Optional: how much of a line one measure may use in the year."""

    __tablename__ = "funds_measure_allocations"
    __table_args__ = (UniqueConstraint("line_id", "measure_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("funds_budget_lines.id"), index=True)
    measure_id: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Money] = mapped_column(MoneyType())


class CostShare(Base):
    """S3: the city's share of an award in a jurisdiction for the year (the rest is the county's)."""

    __tablename__ = "funds_cost_shares"
    __table_args__ = (UniqueConstraint("budget_id", "division_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("funds_budgets.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    city_share: Mapped[Decimal] = mapped_column(Numeric(5, 4))


class Claim(Base):
    __tablename__ = "funds_claims"
    __table_args__ = (
        # The review queue: by step (and county), oldest at the step first.
        Index("ix_funds_claims_state_age", "state", "state_changed_at"),
        Index("ix_funds_claims_division_queue", "division_code", "state", "state_changed_at"),
        Index("ix_funds_claims_age", "state_changed_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)  # the entity's county or zone
    measure_id: Mapped[str] = mapped_column(String(10), index=True)
    measure_title: Mapped[str] = mapped_column(String(200), default="")
    pack_key: Mapped[str] = mapped_column(String(80))
    year: Mapped[int] = mapped_column(Integer, index=True)
    budget_line: Mapped[str] = mapped_column(String(20), default="general")
    # One live claim per entity, measure and period: "org:measure:year", cleared when rejected or withdrawn.
    live_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    origin: Mapped[str] = mapped_column(String(20), default="application")  # application | candidate
    run_id: Mapped[int | None] = mapped_column(Integer)  # the batch run of a 免申即享 candidate
    state: Mapped[str] = mapped_column(String(20), index=True)
    amount: Mapped[Money] = mapped_column(MoneyType())
    estimate: Mapped[Money] = mapped_column(MoneyType())
    amount_reason: Mapped[str] = mapped_column(String(500), default="")
    facts_json: Mapped[str] = mapped_column(Text, default="{}")  # the facts the estimate was made from
    explanation: Mapped[str] = mapped_column(Text, default="")
    not_duplicated_group: Mapped[str] = mapped_column(String(60), default="")
    payee_name: Mapped[str] = mapped_column(String(200), default="")
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    bank_account_masked: Mapped[str] = mapped_column(String(30), default="")
    bank_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)  # 60 working days after submission
    step_due_on: Mapped[date | None] = mapped_column(Date)  # the current step's time limit
    return_deadline: Mapped[date | None] = mapped_column(Date)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    prelim_reviewer_id: Mapped[int | None] = mapped_column(Integer)
    city_reviewer_id: Mapped[int | None] = mapped_column(Integer)
    approver_id: Mapped[int | None] = mapped_column(Integer)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("funds_notices.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("funds_budget_lines.id"))
    city_part: Mapped[Money] = mapped_column(MoneyType(), default=Money(0))
    county_part: Mapped[Money] = mapped_column(MoneyType(), default=Money(0))
    reject_reason: Mapped[str] = mapped_column(String(500), default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=1)


class ClaimEvent(Base):
    """The claim's history: one row per action, never changed (the database refuses updates and deletes)."""

    __tablename__ = "funds_claim_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("funds_claims.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(50), default="")
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(String(1000), default="")
    amount_before: Mapped[Money | None] = mapped_column(MoneyType())
    amount_after: Mapped[Money | None] = mapped_column(MoneyType())
    deadline: Mapped[date | None] = mapped_column(Date)


class Evidence(Base):
    """An uploaded evidence file: type judged from the bytes, stored under a random name with its SHA-256."""

    __tablename__ = "funds_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("funds_claims.id"), index=True)
    item: Mapped[str] = mapped_column(String(300))  # which of the measure's evidence items
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class JournalEntry(Base):
    """A balanced ledger entry (its lines sum to zero). Append-only: corrections are reversing entries."""

    __tablename__ = "funds_journal_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    # appropriation | commitment | release | disbursement | refund | clawback | reversal
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("funds_claims.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(Integer)
    reverses_id: Mapped[int | None] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class JournalLine(Base):
    """One side of an entry: a signed amount in fen (debit positive, credit negative) on an account."""

    __tablename__ = "funds_journal_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("funds_journal_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(60), index=True)  # e.g. "committed:3"
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class PaymentBatch(Base):
    __tablename__ = "funds_payment_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | exported | closed
    total: Mapped[Money] = mapped_column(MoneyType(), default=Money(0))
    count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Payment(Base):
    """One claim's payment in a batch. The bank's reference is unique: importing it twice pays nothing twice."""

    __tablename__ = "funds_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("funds_payment_batches.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("funds_claims.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)  # our payment reference, on the bank file
    amount: Mapped[Money] = mapped_column(MoneyType())
    payee_name: Mapped[str] = mapped_column(String(200))
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    account_masked: Mapped[str] = mapped_column(String(30), default="")
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending | paid | bounced
    bank_reference: Mapped[str | None] = mapped_column(String(60), unique=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bounce_reason: Mapped[str] = mapped_column(String(300), default="")


class Notice(Base):
    """A public notice (公示) of claims the city review passed; approval waits until it ends."""

    __tablename__ = "funds_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Objection(Base):
    """An objection lodged under a real name during a notice; it must be answered before approval."""

    __tablename__ = "funds_objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("funds_claims.id"), index=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("funds_notices.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    contact: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | upheld | dismissed
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str] = mapped_column(String(100), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Holiday(Base):
    """The administrator's calendar: public holidays, and weekend days that are working days (调休)."""

    __tablename__ = "funds_holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    is_workday: Mapped[bool] = mapped_column(Boolean, default=False)


class CreditFlag(Base):
    """A serious-violation flag on an organisation (a simple flag until market regulation feeds it)."""

    __tablename__ = "funds_credit_flags"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    serious_violation: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class ConflictDeclaration(Base):
    """A reviewer's or approver's declared conflict of interest with an organisation."""

    __tablename__ = "funds_conflicts"
    __table_args__ = (UniqueConstraint("user_id", "org_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Notification(Base):
    """In-platform message to the applicant organisation: one per transition of its claim."""

    __tablename__ = "funds_notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer, index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("funds_claims.id"))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
