"""Idempotency keys for POSTs that create or move money (Stripe's rules).

A client sends ``Idempotency-Key: <uuid>``. The first request with a key runs and its response is stored in the
same transaction as its effect; any later request with the same key (from the same user) gets the stored
response, and nothing runs twice. The same key with a different body is refused (422). Concurrent duplicates
wait on the key's unique index and then replay the winner's response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from lishui.core.actor import Actor
from lishui.core.clock import now
from lishui.core.db import Base, UTCDateTime
from lishui.core.errors import DomainError, FieldError, ValidationFailed

MAX_KEY = 100


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(60))  # the user the key belongs to
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    operation: Mapped[str] = mapped_column(String(200))  # "POST /api/v1/orgs"
    body_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


@dataclass
class Outcome:
    status_code: int
    body: Any
    replayed: bool


def _hash(operation: str, body: Any) -> str:
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{operation}\n{canonical}".encode()).hexdigest()


def _owner(actor: Actor) -> str:
    return f"user:{actor.user_id}" if actor.user_id is not None else f"name:{actor.username}"


def _replay(found: IdempotencyRecord, operation: str, digest: str) -> Outcome:
    if found.operation != operation or found.body_hash != digest:
        raise ValidationFailed("该幂等键（Idempotency-Key）已用于另一个请求；请为新的请求使用新的键",
                               [FieldError("Idempotency-Key", "已用于内容不同的请求")])
    return Outcome(found.status_code, json.loads(found.response), True)


def run_once(session: Session, actor: Actor, key: str | None, operation: str, body: Any,
             produce: Callable[[], tuple[int, Any]]) -> Outcome:
    """Run ``produce`` once per (user, key); without a key it simply runs."""
    if not key:
        status, result = produce()
        return Outcome(status, result, False)
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise ValidationFailed("Idempotency-Key 应为 1 至 100 个字符", [FieldError("Idempotency-Key", "长度不符")])
    owner, digest = _owner(actor), _hash(operation, body)
    query = select(IdempotencyRecord).where(IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
    found = session.scalar(query)
    if found is not None:
        return _replay(found, operation, digest)
    record = IdempotencyRecord(owner=owner, key=key, operation=operation, body_hash=digest, status_code=0,
                               response="")
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        # A concurrent request with the same key committed first: replay its response.
        found = session.scalar(query.execution_options(populate_existing=True))
        if found is None:
            raise DomainError("请求冲突，请稍后重试", "conflict", 409) from None
        return _replay(found, operation, digest)
    status, result = produce()
    record.status_code = status
    record.response = json.dumps(result, ensure_ascii=False, default=str)
    session.flush()
    return Outcome(status, result, False)
