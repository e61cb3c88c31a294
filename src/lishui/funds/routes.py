"""Special-fund JSON API under /api/v1/funds: budgets, claims and their review, notices, payments, reconciliation.
Money-moving POSTs honour ``Idempotency-Key``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from lishui.core.actor import Actor
from lishui.core.errors import FieldError, ValidationFailed
from lishui.core.files import check_size
from lishui.core.money import Money
from lishui.core.tabular import write_csv, write_xlsx
from lishui.funds import candidates, ledger, payments, service
from lishui.funds.models import Claim, ClaimEvent, Evidence, PaymentBatch
from lishui.registry import get_organisation
from lishui.web.deps import MAX_ID, DbSession, RecordId
from lishui.web.downloads import XLSX
from lishui.web.guard import require
from lishui.web.idempotency import IdempotencyKey, idempotent

router = APIRouter(prefix="/api/v1/funds", tags=["funds"])

Year = Annotated[int, Field(ge=2000, le=2100, description="Budget year / claim period")]
Yuan = Annotated[Decimal, Field(ge=0, le=Decimal("100000000000"), max_digits=14, decimal_places=2,
                                description="Yuan, at most two decimals")]
Text = Annotated[str, Field(max_length=1000, pattern=r"^[^\x00]*$")]
MeasureId = Annotated[str, Field(min_length=2, max_length=10, pattern=r"^[A-Z]{1,3}\d{2}$")]


def _yuan(money: Money) -> str:
    return f"{money.as_yuan:f}"


# ---------------------------------------------------------------- budgets

class BudgetLineRead(BaseModel):
    id: int
    line: str
    source: str
    label: str
    appropriated: str
    committed: str
    spent: str
    available: str


class BudgetCreate(BaseModel):
    year: Year
    general: Yuan
    rural: Yuan
    provincial: Yuan = Decimal(0)


def _line(line: Any) -> BudgetLineRead:
    return BudgetLineRead(id=line.id, line=line.line, source=line.source, label=line.label,
                          appropriated=_yuan(line.appropriated), committed=_yuan(line.committed),
                          spent=_yuan(line.spent), available=_yuan(line.available))


@router.get("/budget", response_model=list[BudgetLineRead])
def get_budget(session: DbSession, _: Annotated[Actor, Depends(require("funds:budget:read"))],
               year: Annotated[int, Query(ge=2000, le=2100)] = 2016) -> list[BudgetLineRead]:
    return [_line(line) for line in service.budget_lines(session, year)]


class BudgetRead(BaseModel):
    year: int
    lines: list[BudgetLineRead]


@router.post("/budget", response_model=BudgetRead, status_code=201)
def create_budget(request: Request, body: BudgetCreate, session: DbSession,
                  actor: Annotated[Actor, Depends(require("funds:budget:write"))],
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    def produce() -> BudgetRead:
        service.create_budget(session, actor, year=body.year, lines={
            ("general", "city"): Money.yuan(body.general), ("rural", "city"): Money.yuan(body.rural),
            ("general", "provincial"): Money.yuan(body.provincial)})
        return BudgetRead(year=body.year, lines=[_line(line) for line in service.budget_lines(session, body.year)])

    return idempotent(request, session, actor, idempotency_key, body, produce)


# ---------------------------------------------------------------- claims

class ClaimSummary(BaseModel):
    id: int
    org_id: int
    org_name: str
    division_code: str
    measure_id: str
    measure_title: str
    year: int
    state: str
    state_text: str
    origin: str
    amount: str
    estimate: str
    submitted_on: dt.date | None
    due_on: dt.date | None
    step_due_on: dt.date | None


class ClaimPage(BaseModel):
    items: list[ClaimSummary]
    total: int
    page: int
    per_page: int


class EventRead(BaseModel):
    at: dt.datetime
    username: str
    action: str
    from_state: str
    to_state: str
    reason: str
    amount_before: str | None
    amount_after: str | None
    deadline: dt.date | None


class EvidenceRead(BaseModel):
    id: int
    item: str
    filename: str
    kind: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class ClaimRead(ClaimSummary):
    amount_reason: str
    facts: dict[str, Any]
    explanation: str
    payee_name: str
    bank_name: str
    bank_account_masked: str
    working_days_left: int | None
    city_part: str
    county_part: str
    reject_reason: str
    missing_evidence: list[str]
    history: list[EventRead]
    evidence: list[EvidenceRead]


def _summary(claim: Claim, org_name: str) -> ClaimSummary:
    return ClaimSummary(id=claim.id, org_id=claim.org_id, org_name=org_name, division_code=claim.division_code,
                        measure_id=claim.measure_id, measure_title=claim.measure_title, year=claim.year,
                        state=claim.state, state_text=service.state_label(claim.state), origin=claim.origin,
                        amount=_yuan(claim.amount), estimate=_yuan(claim.estimate), submitted_on=claim.submitted_on,
                        due_on=claim.due_on, step_due_on=claim.step_due_on)


def _event(e: ClaimEvent) -> EventRead:
    return EventRead(at=e.at, username=e.username, action=e.action, from_state=e.from_state, to_state=e.to_state,
                     reason=e.reason, amount_before=_yuan(e.amount_before) if e.amount_before else None,
                     amount_after=_yuan(e.amount_after) if e.amount_after else None, deadline=e.deadline)


def _evidence(e: Evidence) -> EvidenceRead:
    return EvidenceRead(id=e.id, item=e.item, filename=e.filename, kind=e.kind, size=e.size, sha256=e.sha256,
                        uploaded_at=e.uploaded_at)


def claim_read(session: Any, actor: Actor, claim: Claim) -> ClaimRead:
    from lishui.registry import get_organisation_unscoped

    org = get_organisation_unscoped(session, claim.org_id)
    base = _summary(claim, org.name if org else "").model_dump()
    return ClaimRead(**base, amount_reason=claim.amount_reason, facts=json.loads(claim.facts_json or "{}"),
                     explanation=claim.explanation, payee_name=claim.payee_name, bank_name=claim.bank_name,
                     bank_account_masked=claim.bank_account_masked,
                     working_days_left=service.countdown(session, claim), city_part=_yuan(claim.city_part),
                     county_part=_yuan(claim.county_part), reject_reason=claim.reject_reason,
                     missing_evidence=service.missing_evidence(session, claim) if claim.origin == "application" else [],
                     history=[_event(e) for e in service.history(session, actor, claim.id)],
                     evidence=[_evidence(e) for e in service.list_evidence(session, actor, claim.id)])


@router.get("/claims", response_model=ClaimPage)
def list_claims(
    session: DbSession, actor: Annotated[Actor, Depends(require("funds:claim:read"))],
    state: Annotated[str, Query(max_length=20, pattern=r"^[a-z_]*$")] = "",
    division: Annotated[str, Query(max_length=12, pattern=r"^\d*$")] = "",
    measure: Annotated[str, Query(max_length=10, pattern=r"^[A-Z0-9]*$")] = "",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    min_age_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    overdue: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ClaimPage:
    f = service.QueueFilter(state=state, division_code=division, measure_id=measure, year=year,
                            min_age_days=min_age_days, overdue=overdue, page=page, per_page=per_page)
    rows, total = service.queue(session, actor, f)
    return ClaimPage(items=[_summary(c, name) for c, name in rows], total=total, page=page, per_page=per_page)


@router.get("/claims/{claim_id}", response_model=ClaimRead)
def get_claim(claim_id: RecordId, session: DbSession,
              actor: Annotated[Actor, Depends(require("funds:claim:read"))]) -> ClaimRead:
    return claim_read(session, actor, service.get_claim(session, actor, claim_id))


class EstimateRequest(BaseModel):
    measure_id: MeasureId
    year: Year
    answers: dict[Annotated[str, Field(max_length=80)], Annotated[str, Field(max_length=100)]] = Field(
        default_factory=dict, max_length=50, description="Facts the applicant gives, as text (yuan, 是/否, dates)")


class EstimateRead(BaseModel):
    measure_id: str
    status: str
    eligible: bool
    amount: str
    explanation: str
    fillable_facts: list[str]


class ClaimCreate(EstimateRequest):
    amount: Yuan | None = None
    amount_reason: Text = ""


@router.post("/estimate", response_model=EstimateRead)
def estimate(body: EstimateRequest, session: DbSession,
             actor: Annotated[Actor, Depends(require("funds:claim:apply"))]) -> EstimateRead:
    if actor.org_id is None:
        raise ValidationFailed("账户未关联机构", [FieldError("org", "未关联机构")])
    org = get_organisation(session, actor, actor.org_id)
    pack = service.policy.pack_in_force(body.year, org.division_code)
    measure = pack.measures.get(body.measure_id)
    if measure is None:
        raise ValidationFailed(f"政策包中没有措施 {body.measure_id}", [FieldError("measure_id", "未知的措施")])
    est = service.estimate(session, actor, org, body.measure_id, body.year,
                           service.parse_answers(pack, measure, body.answers))
    return EstimateRead(measure_id=body.measure_id, status=est.result.status, eligible=est.result.eligible,
                        amount=_yuan(est.amount), explanation=est.explanation, fillable_facts=est.fillable)


@router.post("/claims", response_model=ClaimRead, status_code=201)
def create_claim(request: Request, body: ClaimCreate, session: DbSession,
                 actor: Annotated[Actor, Depends(require("funds:claim:apply"))],
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    def produce() -> ClaimRead:
        claim = service.create_application(
            session, actor, measure_id=body.measure_id, year=body.year, answers=body.answers,
            amount=Money.yuan(body.amount) if body.amount is not None else None, amount_reason=body.amount_reason)
        return claim_read(session, actor, claim)

    return idempotent(request, session, actor, idempotency_key, body, produce)


@router.post("/claims/{claim_id}/evidence", response_model=EvidenceRead, status_code=201)
def upload_evidence(request: Request, claim_id: RecordId, session: DbSession,
                    actor: Annotated[Actor, Depends(require("funds:claim:apply"))],
                    item: Annotated[str, Form(max_length=300)], file: UploadFile | None = None) -> EvidenceRead:
    settings = request.app.state.settings
    service.get_claim(session, actor, claim_id)  # another organisation's claim: not found, before anything else
    if file is None:
        raise ValidationFailed("请选择文件", [FieldError("file", "请选择文件")])
    content = file.file.read()
    check_size(content, settings.max_upload_bytes)
    ev = service.add_evidence(session, actor, claim_id, item=item, filename=file.filename or "", data=content,
                              folder=settings.upload_dir / "evidence", max_bytes=settings.max_upload_bytes)
    return _evidence(ev)


class Note(BaseModel):
    note: Text = ""


class Confirmation(BaseModel):
    account_confirmed: bool


@router.post("/claims/{claim_id}/submit", response_model=ClaimRead)
def submit(claim_id: RecordId, body: Note, session: DbSession,
           actor: Annotated[Actor, Depends(require("funds:claim:apply"))]) -> ClaimRead:
    return claim_read(session, actor, service.submit(session, actor, claim_id, body.note))


@router.post("/claims/{claim_id}/confirm", response_model=ClaimRead)
def confirm(claim_id: RecordId, body: Confirmation, session: DbSession,
            actor: Annotated[Actor, Depends(require("funds:claim:apply"))]) -> ClaimRead:
    return claim_read(session, actor, candidates.confirm(session, actor, claim_id,
                                                          account_confirmed=body.account_confirmed))


@router.post("/claims/{claim_id}/withdraw", response_model=ClaimRead)
def withdraw(claim_id: RecordId, body: Note, session: DbSession,
             actor: Annotated[Actor, Depends(require("funds:claim:apply"))]) -> ClaimRead:
    return claim_read(session, actor, service.withdraw(session, actor, claim_id, body.note))


class ReviewAction(BaseModel):
    action: Literal["prelim_pass", "city_pass", "return", "reject", "amend_amount"]
    reason: Text = ""
    amount: Yuan | None = None
    deadline: dt.date | None = None


def review_action(session: Any, actor: Actor, claim_id: int, action: str, reason: str, amount: Money | None,
                  deadline: dt.date | None) -> Claim:
    if action == "prelim_pass":
        return service.prelim_pass(session, actor, claim_id, reason)
    if action == "city_pass":
        return service.city_pass(session, actor, claim_id, reason)
    if action == "return":
        return service.return_claim(session, actor, claim_id, reason=reason, deadline=deadline)
    if action == "reject":
        return service.reject(session, actor, claim_id, reason=reason)
    if amount is None:
        raise ValidationFailed("请填写调整后的金额", [FieldError("amount", "不能为空")])
    return service.amend_amount(session, actor, claim_id, amount=amount, reason=reason)


@router.post("/claims/{claim_id}/review", response_model=ClaimRead)
def review(claim_id: RecordId, body: ReviewAction, session: DbSession,
           actor: Annotated[Actor, Depends(require("funds:claim:review"))]) -> ClaimRead:
    claim = review_action(session, actor, claim_id, body.action, body.reason,
                          Money.yuan(body.amount) if body.amount is not None else None, body.deadline)
    return claim_read(session, actor, claim)


@router.post("/claims/{claim_id}/approve", response_model=ClaimRead)
def approve(request: Request, claim_id: RecordId, body: Note, session: DbSession,
            actor: Annotated[Actor, Depends(require("funds:claim:approve"))],
            idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return idempotent(request, session, actor, idempotency_key, body,
                      lambda: claim_read(session, actor, service.approve(session, actor, claim_id, body.note)),
                      status_code=200)


class ObjectionAnswer(BaseModel):
    objection: Annotated[int, Field(ge=1, le=MAX_ID)]
    upheld: bool
    answer: Text


@router.post("/claims/{claim_id}/objections/answer", response_model=ClaimRead)
def answer_objection(claim_id: RecordId, body: ObjectionAnswer, session: DbSession,
                     actor: Annotated[Actor, Depends(require("funds:objection:answer"))]) -> ClaimRead:
    claim = service.get_claim(session, actor, claim_id)
    objection = session.get(service.Objection, body.objection)
    if objection is None or objection.claim_id != claim.id:
        raise ValidationFailed("该申报没有这条异议", [FieldError("objection", "不存在")])
    service.answer_objection(session, actor, body.objection, upheld=body.upheld, answer=body.answer)
    return claim_read(session, actor, claim)


class NoticeCreate(BaseModel):
    claim_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list, max_length=1000)
    days: Annotated[int, Field(ge=1, le=30)] = service.NOTICE_DAYS


class NoticeRead(BaseModel):
    id: int
    title: str
    starts_on: dt.date
    ends_on: dt.date
    claims: int


@router.post("/notices", response_model=NoticeRead, status_code=201)
def publish_notice(body: NoticeCreate, session: DbSession,
                   actor: Annotated[Actor, Depends(require("funds:notice:publish"))]) -> NoticeRead:
    notice = service.publish_notice(session, actor, claim_ids=body.claim_ids or None, days=body.days)
    return NoticeRead(id=notice.id, title=notice.title, starts_on=notice.starts_on, ends_on=notice.ends_on,
                      claims=len(service.notice_claims(session, notice.id)))


class NotificationRead(BaseModel):
    id: int
    claim_id: int
    message: str
    created_at: dt.datetime


@router.get("/notifications", response_model=list[NotificationRead])
def my_notifications(session: DbSession,
                     actor: Annotated[Actor, Depends(require("funds:claim:apply"))]) -> list[NotificationRead]:
    return [NotificationRead(id=n.id, claim_id=n.claim_id, message=n.message, created_at=n.created_at)
            for n in service.notifications(session, actor)]


# ---------------------------------------------------------------- disbursement

class BatchCreate(BaseModel):
    year: Year
    claim_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list, max_length=5000)


class BatchRead(BaseModel):
    id: int
    year: int
    state: str
    count: int
    total: str
    created_at: dt.datetime


def _batch(b: PaymentBatch) -> BatchRead:
    return BatchRead(id=b.id, year=b.year, state=b.state, count=b.count, total=_yuan(b.total),
                     created_at=b.created_at)


@router.get("/batches", response_model=list[BatchRead])
def list_batches(session: DbSession,
                 actor: Annotated[Actor, Depends(require("funds:payment:read"))]) -> list[BatchRead]:
    return [_batch(b) for b in payments.list_batches(session, actor)]


@router.post("/batches", response_model=BatchRead, status_code=201)
def create_batch(request: Request, body: BatchCreate, session: DbSession,
                 actor: Annotated[Actor, Depends(require("funds:payment:write"))],
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return idempotent(request, session, actor, idempotency_key, body,
                      lambda: _batch(payments.create_batch(session, actor, year=body.year,
                                                           claim_ids=body.claim_ids or None)))


@router.get("/batches/{batch_id}/bank-file", response_class=Response,
            responses={200: {"content": {XLSX: {}, "text/csv": {}}, "description": "The bank payment file"}})
def bank_file(batch_id: RecordId, session: DbSession,
              actor: Annotated[Actor, Depends(require("funds:payment:write"))],
              format: Annotated[Literal["xlsx", "csv"], Query()] = "xlsx") -> Response:
    headers, rows = payments.bank_file_rows(session, actor, batch_id)
    name = f"bank-payment-{batch_id}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(write_csv(headers, rows), media_type="text/csv", headers=disposition)
    return Response(write_xlsx(headers, rows, "付款"), media_type=XLSX, headers=disposition)


class PaidFileResult(BaseModel):
    rows: int
    paid: int
    bounced: int
    unchanged: int
    errors: list[dict[str, object]]


@router.post("/paid-file", response_model=PaidFileResult,
             responses={422: {"description": "Rows with errors; nothing marked paid"}})
def paid_file(request: Request, file: UploadFile, session: DbSession,
              actor: Annotated[Actor, Depends(require("funds:payment:write"))]) -> JSONResponse:
    content = file.file.read()
    check_size(content, request.app.state.settings.max_upload_bytes)
    report = payments.import_paid_file(session, actor, content, file.filename or "")
    body = {"rows": report.rows, "paid": report.paid, "bounced": report.bounced, "unchanged": report.unchanged,
            "errors": [e.as_dict() for e in report.errors]}
    if not report.ok:
        session.rollback()
        return JSONResponse({"code": "validation_failed", "message": "文件中有错误行，未标记任何付款", **body},
                            status_code=422)
    return JSONResponse(body)


class ReconcileRead(BaseModel):
    year: int
    ok: bool
    entries: int
    paid_claims: int
    appropriated: str
    committed: str
    spent: str
    problems: list[str]


@router.get("/reconcile", response_model=ReconcileRead)
def reconcile(session: DbSession, _: Annotated[Actor, Depends(require("funds:ledger:read"))],
              year: Annotated[int, Query(ge=2000, le=2100)] = 2016) -> ReconcileRead:
    r = ledger.reconcile(session, year)
    return ReconcileRead(year=year, ok=r.ok, entries=r.entries, paid_claims=r.paid_claims,
                         appropriated=_yuan(Money(r.appropriated)), committed=_yuan(Money(r.committed)),
                         spent=_yuan(Money(r.spent)), problems=r.problems)



# ---------------------------------------------------------------- candidates, credit flags, conflicts

class CandidatesCreate(BaseModel):
    run_id: Annotated[int, Field(ge=1, le=MAX_ID, description="A completed policy batch run")]


class CandidatesRead(BaseModel):
    run_id: int
    created: int
    skipped_existing: int
    skipped_flagged: int


@router.post("/candidates", response_model=CandidatesRead, status_code=201)
def create_candidates(request: Request, body: CandidatesCreate, session: DbSession,
                      actor: Annotated[Actor, Depends(require("funds:candidate:create"))],
                      idempotency_key: IdempotencyKey = None) -> JSONResponse:
    def produce() -> CandidatesRead:
        r = candidates.create_candidates(session, actor, body.run_id)
        return CandidatesRead(run_id=r.run_id, created=r.created, skipped_existing=r.skipped_existing,
                              skipped_flagged=r.skipped_flagged)

    return idempotent(request, session, actor, idempotency_key, body, produce)


class CreditFlagWrite(BaseModel):
    org_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    serious_violation: bool = True
    note: Text = ""


class Done(BaseModel):
    ok: bool = True


@router.post("/credit-flags", response_model=Done)
def set_credit_flag(body: CreditFlagWrite, session: DbSession,
                    actor: Annotated[Actor, Depends(require("funds:credit:write"))]) -> Done:
    service.set_credit_flag(session, actor, body.org_id, serious_violation=body.serious_violation, note=body.note)
    return Done()


class ConflictDeclare(BaseModel):
    org_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    note: Text = ""


@router.post("/conflicts", response_model=Done)
def declare_conflict(body: ConflictDeclare, session: DbSession,
                     actor: Annotated[Actor, Depends(require("funds:claim:read"))]) -> Done:
    """A reviewer or approver declares a conflict of interest: the organisation's claims are never shown to them."""
    service.declare_conflict(session, actor, body.org_id, body.note)
    return Done()
