"""The shape every all-or-nothing file import page shares: read the upload, check its size, run the import,
roll back and re-render with the row/column report when anything is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from fastapi import Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lishui.core.errors import DomainError, FieldError
from lishui.core.files import check_size


class Report(Protocol):
    @property
    def ok(self) -> bool: ...


ImportPage = Callable[..., Response]


def run_import(request: Request, session: Session, file: UploadFile, run: Callable[[bytes, str], Any],
               page: ImportPage) -> Response:
    """``run(content, filename)`` returns a report with ``ok``; ``page(request, report, filename, message="",
    fields=(), status=200)`` renders the import page."""
    content = file.file.read()
    filename = (file.filename or "")[:200]
    try:
        check_size(content, request.app.state.settings.max_upload_bytes)
        report = run(content, filename)
    except DomainError as exc:
        session.rollback()
        fields: list[FieldError] = exc.fields
        return page(request, None, filename, exc.message, fields, status=exc.status)
    if not report.ok:
        session.rollback()
        return page(request, report, filename, status=422)
    return page(request, report, filename)
