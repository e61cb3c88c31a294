"""The audit trail: append-only, hash-chained with HMAC-SM3.

Every state change writes one record in the same transaction as the change. The database refuses
updates and deletions (triggers created by the migration; deletion only of records older than the
retention floor). ``verify_chain`` finds the first record whose hash or link does not match.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lishui.core import clock
from lishui.core.actor import Actor
from lishui.core.crypto import hmac_sm3
from lishui.core.db import Base, UTCDateTime, keys_of

GENESIS = "0" * 64
RETENTION_FLOOR_DAYS = 185  # Cybersecurity Law art. 21: network logs kept at least six months


class AuditRecord(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(50))
    event: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str] = mapped_column(String(50), default="")
    object_id: Mapped[str] = mapped_column(String(100), default="")
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    ip: Mapped[str] = mapped_column(String(64), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(Base):
    """One row: the newest record's id and hash. Locking it serialises appends."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


def _canonical(value: Any) -> str:
    if value is None or value == "":
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _payload(rec: Any) -> bytes:
    fields = [
        rec.occurred_at.astimezone(UTC).isoformat(),
        str(rec.user_id or ""),
        rec.username,
        str(rec.org_id or ""),
        rec.role,
        rec.event,
        rec.object_type,
        rec.object_id,
        rec.outcome,
        rec.ip,
        rec.request_id,
        rec.before,
        rec.after,
        rec.detail,
        rec.prev_hash,
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(key: bytes, rec: Any) -> str:
    return hmac_sm3(key, _payload(rec)).hex()


def record(
    session: Session,
    actor: Actor,
    event: str,
    *,
    object_type: str = "",
    object_id: object = "",
    outcome: str = "success",
    before: Any = None,
    after: Any = None,
    detail: Any = None,
) -> AuditRecord:
    """Append one audit record in the caller's transaction."""
    head = session.execute(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    rec = AuditRecord(
        occurred_at=clock.now(),
        user_id=actor.user_id,
        username=actor.username,
        org_id=actor.org_id,
        role=actor.role,
        event=event,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else "",
        outcome=outcome,
        ip=actor.ip or "",
        request_id=actor.request_id or "",
        before=_canonical(before),
        after=_canonical(after),
        detail=_canonical(detail),
        prev_hash=head.last_hash,
    )
    rec.hash = compute_hash(keys_of(session).audit_key(), rec)
    session.add(rec)
    session.flush()
    head.last_id = rec.id
    head.last_hash = rec.hash
    return rec


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify_chain(session: Session, key: bytes, batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; report the first record that was edited, removed or inserted."""
    allowed_starts = {GENESIS}
    for (detail,) in session.execute(
        select(AuditRecord.detail).where(AuditRecord.event == "audit.retention")
    ):
        try:
            allowed_starts.add(json.loads(detail)["last_removed_hash"])
        except (ValueError, KeyError, TypeError):
            continue
    prev_hash: str | None = None
    checked = 0
    last_id = 0
    while True:
        # Plain rows, not ORM objects: nothing accumulates in the session's identity map.
        rows = session.execute(
            select(*AuditRecord.__table__.c).where(AuditRecord.id > last_id).order_by(AuditRecord.id).limit(batch)
        ).all()
        if not rows:
            break
        for rec in rows:
            if prev_hash is None:
                if rec.prev_hash not in allowed_starts:
                    return VerifyResult(False, checked, rec.id,
                                        "链首记录的前序哈希无对应的保留期清理记录：其之前的记录缺失")
            elif rec.prev_hash != prev_hash:
                return VerifyResult(False, checked, rec.id, "前序哈希与上一条记录不符：其之前的记录被删除或插入")
            if compute_hash(key, rec) != rec.hash:
                return VerifyResult(False, checked, rec.id, "记录内容与其哈希不符：记录被篡改")
            prev_hash = rec.hash
            checked += 1
            last_id = rec.id
    head = session.get(AuditChainHead, 1)
    if head is not None and head.last_hash != (prev_hash or GENESIS):
        return VerifyResult(False, checked, head.last_id, "链尾记录缺失：最新记录已被删除")
    return VerifyResult(True, checked)


def purge_expired(session: Session, actor: Actor, keep_days: int = RETENTION_FLOOR_DAYS) -> int:
    """Remove records older than ``keep_days`` (never fewer than the legal floor), leaving a checkpoint."""
    keep_days = max(keep_days, RETENTION_FLOOR_DAYS)
    cutoff = clock.now() - timedelta(days=keep_days)
    last = session.execute(
        select(AuditRecord.id, AuditRecord.hash)
        .where(AuditRecord.occurred_at < cutoff)
        .order_by(AuditRecord.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return 0
    count = session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.id <= last.id)) or 0
    record(
        session,
        actor,
        "audit.retention",
        object_type="audit_log",
        object_id=last.id,
        detail={"last_removed_id": last.id, "last_removed_hash": last.hash, "removed": count, "keep_days": keep_days},
    )
    session.execute(delete(AuditRecord).where(AuditRecord.id <= last.id))
    return int(count)
