"""Request-scoped dependencies: the unit of work and the client's address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from lishui.core.db import Database


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def db_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: commits after the handler returns, before the response is sent."""
    with database(request).unit_of_work() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session, scope="function")]

# A record id in a path: the database's integer range, so a larger number is a 422, not a database error.
MAX_ID = 2_147_483_647
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def posted_form(request: Request) -> FormData:
    """The parsed form, read in the event loop; the view that uses it stays a plain function and runs in the
    thread pool (database work must never block the event loop)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]
