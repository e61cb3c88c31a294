"""The ``Idempotency-Key`` header for API routes that create records or move money."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from lishui.core.actor import Actor
from lishui.core.idempotency import MAX_KEY, run_once

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=MAX_KEY,
           description="Optional. Repeating a request with the same key returns the first response and does "
                       "nothing again; the same key with a different body is refused (422)."),
]


def idempotent(request: Request, session: Session, actor: Actor, key: str | None, body: BaseModel,
               produce: Callable[[], BaseModel], status_code: int = 201) -> JSONResponse:
    """Run ``produce`` at most once per key; the response (first or replayed) is identical."""
    operation = f"{request.method} {request.url.path}"

    def run() -> tuple[int, Any]:
        return status_code, produce().model_dump(mode="json")

    outcome = run_once(session, actor, key, operation, body.model_dump(mode="json"), run)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)
