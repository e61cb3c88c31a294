"""Statistics JSON API under /api/v1/stats: forms, push of reports (platforms and statistics systems, bearer
token), corrections and the approval chain. The same checks as the web form and the upload."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from lishui.core import audit
from lishui.core.actor import Actor
from lishui.core.errors import FieldError, ValidationFailed
from lishui.registry import Organisation
from lishui.stats import imports, service
from lishui.stats.models import StatsSubmission
from lishui.stats.rules import load_values
from lishui.web.deps import DbSession, RecordId
from lishui.web.guard import require
from lishui.web.idempotency import IdempotencyKey, idempotent

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])

Value = str | int | float | bool | None
Values = Annotated[dict[Annotated[str, Field(max_length=40)], Value], Field(max_length=60)]


class FieldRead(BaseModel):
    key: str
    label: str
    type: str
    unit: str
    required: bool
    min_value: str
    max_value: str
    part_of: str
    outlier_check: bool


class FormRead(BaseModel):
    code: str
    title: str
    period_type: str
    subject: str
    reported_by: str
    deadline_days: int
    lock_days: int | None
    fields: list[FieldRead]


class PushItem(BaseModel):
    entity: str = Field("", max_length=40, description="Credit code of the organisation, or the "
                        "county/zone code for county forms; empty for an organisation reporting for itself")
    period: str = Field(max_length=20, description="2017-03 (month), 2017-Q1 (quarter), 2017 (year), "
                        "2017-03-15 (day)")
    values: Values


class PushBody(BaseModel):
    form: str = Field(max_length=40, description="Form code, e.g. ENT_MONTHLY_RETAIL")
    items: list[PushItem] = Field(min_length=1, max_length=5000)


class PushResult(BaseModel):
    form: str
    created: int
    flagged: int


class RevisionRead(BaseModel):
    revision: int
    values: dict[str, str]
    flags: list[dict[str, str]]
    reason: str
    channel: str
    created_by: str
    created_at: datetime


class SubmissionRead(BaseModel):
    id: int
    form: str
    entity_key: str
    org_id: int | None
    division_code: str
    period: str
    period_start: date
    period_end: date
    status: str
    current_revision: int
    accepted_revision: int | None
    flagged: bool
    officer_note: str
    return_reason: str
    values: dict[str, str] = Field(description="The current revision; money in fen, USD in cents")


class SubmissionDetail(SubmissionRead):
    revisions: list[RevisionRead]


class SubmissionPage(BaseModel):
    items: list[SubmissionRead]
    total: int
    page: int
    per_page: int


class CorrectionBody(BaseModel):
    values: Values
    reason: str = Field(min_length=1, max_length=500)


class NoteBody(BaseModel):
    note: str = Field("", max_length=1000)


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


def _read(session: Session, sub: StatsSubmission) -> SubmissionRead:
    return SubmissionRead(id=sub.id, form=sub.form.code, entity_key=sub.entity_key, org_id=sub.org_id,
                          division_code=sub.division_code, period=sub.period, period_start=sub.period_start,
                          period_end=sub.period_end, status=sub.status, current_revision=sub.current_revision,
                          accepted_revision=sub.accepted_revision, flagged=sub.flagged,
                          officer_note=sub.officer_note, return_reason=sub.return_reason,
                          values=load_values(service.revision(session, sub).values))


def _detail(session: Session, sub: StatsSubmission) -> SubmissionDetail:
    revisions = [RevisionRead(revision=r.revision, values=load_values(r.values),
                              flags=json.loads(r.flags) if r.flags else [], reason=r.reason, channel=r.channel,
                              created_by=r.created_by, created_at=r.created_at)
                 for r in service.revisions_of(session, sub)]
    return SubmissionDetail(**_read(session, sub).model_dump(), revisions=revisions)


@router.get("/forms", response_model=list[FormRead])
def forms(session: DbSession, _: Annotated[Actor, Depends(require("stats:form:read"))]) -> list[FormRead]:
    return [FormRead.model_validate(f, from_attributes=True) for f in service.list_forms(session)]


@router.post("/submissions", response_model=PushResult, status_code=201,
             responses={422: {"description": "Items with errors (`fields` name the item as `row`); nothing stored"}})
def push(request: Request, body: PushBody, session: DbSession,
         actor: Annotated[Actor, Depends(require("stats:report:submit"))],
         idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Push reports of one form, all or nothing: a bad item and nothing is stored. Values far from an entity's
    history are stored and flagged for the officers."""

    def run() -> PushResult:
        form = service.get_form(session, body.form)
        report = imports.ImportReport(form.code, total_rows=len(body.items))
        items: list[imports.Item] = [(n, item.entity or (str(actor.org_id) if actor.scope == "org" else ""),
                                      item.period, item.values) for n, item in enumerate(body.items, start=1)]
        if actor.scope == "org":
            items = [(n, _own(session, actor, cell), period, values) for n, cell, period, values in items]
        rows = imports.check_rows(session, actor, form, items, report, {})
        if not report.ok:
            raise ValidationFailed("推送的数据有误，未写入任何数据", [
                FieldError(f"items[{e.row}].{e.field}", e.message, e.row) for e in report.errors])
        flagged = imports.write_rows(session, actor, form, rows, "api")
        audit.record(session, actor, "stats.submission.push", object_type="stats_form", object_id=form.code,
                     detail={"rows": len(rows), "flagged": flagged})
        return PushResult(form=form.code, created=len(rows), flagged=flagged)

    return idempotent(request, session, actor, idempotency_key, body, run)


def _own(session: Session, actor: Actor, cell: str) -> str:
    """An organisation's user names itself by id or credit code; uploads resolve credit codes."""
    org = session.get(Organisation, actor.org_id) if actor.org_id else None
    if org is not None and cell.strip().upper() in ("", str(org.id)):
        return org.uscc
    return cell


@router.get("/submissions", response_model=SubmissionPage)
def list_submissions(session: DbSession, actor: Annotated[Actor, Depends(require("stats:report:read"))],
                     form: Annotated[str, Query(max_length=40)] = "",
                     status: Annotated[str, Query(max_length=12)] = "",
                     period: Annotated[str, Query(max_length=12)] = "",
                     division: Annotated[str, Query(max_length=12)] = "",
                     flagged: bool = False,
                     page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                     per_page: Annotated[int, Query(ge=1, le=200)] = 50) -> SubmissionPage:
    f = service.SubmissionFilter(form=form, status=status, period=period, division=division, flagged=flagged,
                                 page=page, per_page=per_page)
    items, total = service.list_submissions(session, actor, f)
    return SubmissionPage(items=[_read(session, s) for s in items], total=total, page=page, per_page=per_page)


@router.get("/submissions/{submission_id}", response_model=SubmissionDetail)
def get_submission(submission_id: RecordId, session: DbSession,
                   actor: Annotated[Actor, Depends(require("stats:report:read"))]) -> SubmissionDetail:
    return _detail(session, service.get_submission(session, actor, submission_id))


@router.post("/submissions/{submission_id}/revisions", response_model=SubmissionDetail, status_code=201)
def correct(submission_id: RecordId, body: CorrectionBody, session: DbSession,
            actor: Annotated[Actor, Depends(require("stats:report:submit"))]) -> SubmissionDetail:
    """A correction: a new revision with its reason; earlier revisions are kept."""
    sub = service.correct(session, actor, submission_id, values=body.values, reason=body.reason, channel="api")
    return _detail(session, sub)


@router.post("/submissions/{submission_id}/verify", response_model=SubmissionDetail)
def verify(submission_id: RecordId, body: NoteBody, session: DbSession,
           actor: Annotated[Actor, Depends(require("stats:report:verify"))]) -> SubmissionDetail:
    return _detail(session, service.verify(session, actor, submission_id, note=body.note))


@router.post("/submissions/{submission_id}/accept", response_model=SubmissionDetail)
def accept(submission_id: RecordId, body: NoteBody, session: DbSession,
           actor: Annotated[Actor, Depends(require("stats:report:accept"))]) -> SubmissionDetail:
    """A flagged report needs an officer's note (here or at verification)."""
    return _detail(session, service.accept(session, actor, submission_id, note=body.note))


@router.post("/submissions/{submission_id}/return", response_model=SubmissionDetail)
def return_(submission_id: RecordId, body: ReasonBody, session: DbSession,
            actor: Annotated[Actor, Depends(require("stats:report:verify"))]) -> SubmissionDetail:
    return _detail(session, service.return_submission(session, actor, submission_id, reason=body.reason))
