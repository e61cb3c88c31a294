"""Policy data in the database: facts officers record, published pack versions, batch runs and candidates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lishui.core.clock import now
from lishui.core.db import Base, UTCDateTime


class PolicyFact(Base):
    """A fact about an organisation for a year, entered or imported by an officer, for facts whose owning
    subsystem is not built yet. Never overwritten: a correction is a new revision."""

    __tablename__ = "policy_facts"
    __table_args__ = (UniqueConstraint("org_id", "year", "name", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    value: Mapped[str] = mapped_column(Text)  # canonical text: 12345.67 / 3 / true / 2016-03-01
    revision: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(30), default="officer")  # officer | import
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class PackVersion(Base):
    """A published pack version: its content hash and source texts are fixed (the database refuses UPDATE and
    DELETE); evaluation refuses files that no longer match. Changing a published pack means a new version."""

    __tablename__ = "policy_pack_versions"
    __table_args__ = (UniqueConstraint("pack_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(50), index=True)
    version: Mapped[str] = mapped_column(String(30))
    content_hash: Mapped[str] = mapped_column(String(64))
    effective_from: Mapped[str] = mapped_column(String(10))  # ISO date
    derives_from: Mapped[str] = mapped_column(String(50), default="", server_default="")
    sources: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")  # JSON: file -> text
    note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    published_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class BatchRun(Base):
    __tablename__ = "policy_batch_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(50))
    pack_version: Mapped[str] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | done | failed
    # Progress of a run in the background: loading → evaluating (measures done of total) → storing → done.
    stage: Mapped[str] = mapped_column(String(20), default="loading", server_default="done")
    progress_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    entities: Mapped[int] = mapped_column(Integer, default=0)
    candidates: Mapped[int] = mapped_column(Integer, default=0)
    near_misses: Mapped[int] = mapped_column(Integer, default=0)
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")  # JSON: totals per measure and budget line
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str] = mapped_column(Text, default="")


class BatchCandidate(Base):
    """One entity × measure of a batch run: eligible (a 免申即享 candidate) or missing by one condition."""

    __tablename__ = "policy_batch_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("policy_batch_runs.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    measure_id: Mapped[str] = mapped_column(String(10), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # eligible | near_miss
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    missing_condition: Mapped[str] = mapped_column(String(300), default="")
