"""Reading the audit trail: search (itself audited) and chain verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lishui.core import audit
from lishui.core.actor import Actor
from lishui.core.db import keys_of
from lishui.core.errors import FieldError, ValidationFailed


@dataclass
class AuditFilter:
    event: str = ""
    username: str = ""
    outcome: str = ""
    date_from: str = ""
    date_to: str = ""
    page: int = 1
    per_page: int = 50


def _day(value: str, field: str) -> datetime:
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise ValidationFailed("日期格式应为 YYYY-MM-DD", [FieldError(field, "日期格式应为 YYYY-MM-DD")]) from None
    return (day - timedelta(hours=8)).replace(tzinfo=UTC)


def search_audit(session: Session, actor: Actor, f: AuditFilter, record_query: bool = True
                 ) -> tuple[list[audit.AuditRecord], int]:
    stmt = select(audit.AuditRecord)
    if f.event:
        stmt = stmt.where(audit.AuditRecord.event.like(f"{f.event}%"))
    if f.username:
        stmt = stmt.where(audit.AuditRecord.username == f.username)
    if f.outcome:
        stmt = stmt.where(audit.AuditRecord.outcome == f.outcome)
    if f.date_from:
        stmt = stmt.where(audit.AuditRecord.occurred_at >= _day(f.date_from, "date_from"))
    if f.date_to:
        stmt = stmt.where(audit.AuditRecord.occurred_at < _day(f.date_to, "date_to") + timedelta(days=1))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(
        stmt.order_by(audit.AuditRecord.id.desc()).offset((f.page - 1) * f.per_page).limit(f.per_page)
    ))
    if record_query:
        audit.record(session, actor, "audit.query", object_type="audit_log",
                     detail={k: v for k, v in f.__dict__.items() if v} | {"results": total})
    return rows, total


def verify(session: Session, actor: Actor) -> audit.VerifyResult:
    result = audit.verify_chain(session, keys_of(session).audit_key())
    audit.record(session, actor, "audit.verify", object_type="audit_log", outcome="success" if result.ok else "failure",
                 detail={"checked": result.checked, "first_bad_id": result.first_bad_id})
    return result
