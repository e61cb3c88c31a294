"""Special-fund pages: applicants (my claims, new claim with live estimate, confirm a candidate), reviewers and
approvers (queue, claim page), finance (batches, bank file, paid file, reconciliation), budget execution, the
public (notices with objections, published awards), the holiday calendar."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lishui.core import clock
from lishui.core.actor import Actor
from lishui.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from lishui.core.files import check_size
from lishui.core.money import Money
from lishui.core.tabular import write_xlsx
from lishui.funds import calendar, candidates, ledger, payments, reports, service
from lishui.funds.routes import review_action
from lishui.registry import CITY_CODE, COUNTIES, ZONE_CODE, get_organisation
from lishui.web.deps import DbSession, PostedForm, RecordId
from lishui.web.downloads import XLSX, table_download
from lishui.web.guard import public, require
from lishui.web.nav import NavEntry, register
from lishui.web.templating import render
from lishui.web.todo import Todo, register_todos

router = APIRouter(include_in_schema=False)

SECTION = "专项资金"
register(NavEntry(SECTION, "我的申报", "My claims", "/funds/my", "funds:claim:apply", order=400))
register(NavEntry(SECTION, "新建申报", "New claim", "/funds/apply", "funds:claim:apply", order=405))
register(NavEntry(SECTION, "审核审批", "Review queue", "/funds/claims", "funds:claim:review", order=410))
register(NavEntry(SECTION, "审批", "Approvals", "/funds/claims?state=notice", "funds:claim:approve", order=412))
register(NavEntry(SECTION, "预算执行", "Budget execution", "/funds/budget", "funds:budget:read", order=420))
register(NavEntry(SECTION, "资金拨付", "Disbursement", "/funds/finance", "funds:payment:read", order=430))
register(NavEntry(SECTION, "节假日", "Holiday calendar", "/funds/holidays", "funds:holiday:write", order=440))
register(NavEntry(SECTION, "公示与公开", "Notices and awards", "/funds/public/notices", None, order=450))


def _todos(session: Session, actor: Actor) -> list[Todo]:
    """Claims waiting on this person: an enterprise's candidates, returns and drafts; a reviewer's queue and
    overdue steps; the notice to publish; objections to answer."""
    waiting = service.waiting_counts(session, actor)
    out = [Todo("免申即享待确认", "Awards to confirm", waiting.get("candidate", 0), "/funds/my", "warn"),
           Todo("退回待补正的申报", "Claims returned to you", waiting.get("returned", 0), "/funds/my", "danger"),
           Todo("未提交的申报草稿", "Draft claims", waiting.get("draft", 0), "/funds/my")]
    for state in ("submitted", "city_review", "city_reviewed"):
        out.append(Todo(f"{service.state_label(state)}的申报", f"Claims: {service.state_label(state, 'en')}",
                        waiting.get(f"queue:{state}", 0), f"/funds/claims?state={state}"))
    out.append(Todo("超过办理时限的申报", "Claims past their step's deadline", waiting.get("overdue", 0),
                    "/funds/claims?overdue=true", "danger"))
    out.append(Todo("待答复的公示异议", "Objections to answer", waiting.get("objections", 0),
                    "/funds/claims?state=notice", "warn"))
    return out


register_todos(_todos)

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
NO_STORE = {"Cache-Control": "no-store"}


def division_names() -> dict[str, str]:
    return {CITY_CODE: "市直", **COUNTIES, ZONE_CODE: "丽水经济技术开发区"}


def money(value: Any) -> str:
    if isinstance(value, Money):
        return f"{value.as_yuan:,.2f}"
    if isinstance(value, int):
        return f"{Money(value).as_yuan:,.2f}"
    return f"{Decimal(str(value)):,.2f}"


def _default_year(session: Session) -> int:
    return service.policy.default_year(session)


def _common() -> dict[str, Any]:
    return {"money": money, "states": service.STATES, "names": division_names(), "actions": service.ACTIONS_ZH,
            "today": clock.today()}


def _yuan(raw: str, field: str) -> Money | None:
    text = raw.strip().replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed("金额格式不正确", [FieldError(field, "应为数字，单位元")]) from None
    if not value.is_finite() or value < 0 or value > Decimal("100000000000"):
        raise ValidationFailed("金额格式不正确", [FieldError(field, "应为非负数，单位元")])
    return Money.yuan(value)


def _date(raw: str, field: str) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise ValidationFailed("日期格式不正确", [FieldError(field, "应为 YYYY-MM-DD")]) from None


def _text(form: Any, name: str, limit: int = 1000) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


# ---------------------------------------------------------------- applicant

@router.get("/funds/my", response_class=HTMLResponse)
def my_claims(request: Request, session: DbSession,
              actor: Annotated[Actor, Depends(require("funds:claim:apply"))]) -> Response:
    claims = service.my_claims(session, actor)
    return render(request, "funds/my.html", {
        **_common(), "claims": claims, "notifications": service.notifications(session, actor, 20),
        "countdowns": {c.id: service.countdown(session, c) for c in claims},
    }, headers=NO_STORE)


def _apply_context(session: Session, actor: Actor, measure_id: str, year: int,
                   answers: dict[str, str]) -> dict[str, Any]:
    assert actor.org_id is not None
    org = get_organisation(session, actor, actor.org_id)
    try:
        measures = service.measures_for(org, year)
    except DomainError:
        measures = []
    measure = next((m for m in measures if m.id == measure_id), None)
    ctx: dict[str, Any] = {"org": org, "year": year, "years": list(range(2015, 2019)), "measures": measures,
                           "measure": measure, "answers": answers, "estimate": None, "message": "",
                           "fields": [], "facts_info": {}}
    if measure is not None:
        pack = service.policy.pack_in_force(year, org.division_code)
        ctx["facts_info"] = {n: pack.facts.get(n) for n in service.fillable_facts(measure)}
        try:
            parsed = service.parse_answers(pack, measure, answers)
            ctx["estimate"] = service.estimate(session, actor, org, measure.id, year, parsed)
        except DomainError as exc:
            ctx["message"], ctx["fields"] = exc.message, exc.fields
    return ctx


def _answers(params: Any) -> dict[str, str]:
    return {k[2:]: str(v)[:100] for k, v in params.items() if k.startswith("f_") and isinstance(v, str)}


@router.get("/funds/apply", response_class=HTMLResponse)
def apply_page(request: Request, session: DbSession, actor: Annotated[Actor, Depends(require("funds:claim:apply"))],
               measure: Annotated[str, Query(max_length=10)] = "", year: YearQuery = None) -> Response:
    ctx = _apply_context(session, actor, measure, year or _default_year(session), _answers(request.query_params))
    return render(request, "funds/apply.html", {**_common(), **ctx}, headers=NO_STORE)


@router.get("/funds/apply/estimate", response_class=HTMLResponse)
def apply_estimate(request: Request, session: DbSession,
                   actor: Annotated[Actor, Depends(require("funds:claim:apply"))],
                   measure: Annotated[str, Query(max_length=10)] = "", year: YearQuery = None) -> Response:
    """The live estimate (htmx): the engine's answer and explanation for the facts typed so far."""
    ctx = _apply_context(session, actor, measure, year or _default_year(session), _answers(request.query_params))
    return render(request, "funds/_estimate.html", {**_common(), **ctx}, headers=NO_STORE)


@router.post("/funds/apply", response_class=HTMLResponse)
def apply_submit(request: Request, session: DbSession, form: PostedForm,
                 actor: Annotated[Actor, Depends(require("funds:claim:apply"))]) -> Response:
    measure_id, answers = _text(form, "measure", 10), _answers(form)
    try:
        year = int(_text(form, "year", 4) or 0)
    except ValueError:
        year = 0
    year = year if 2000 <= year <= 2100 else _default_year(session)
    try:
        claim = service.create_application(session, actor, measure_id=measure_id, year=year, answers=answers,
                                           amount=_yuan(_text(form, "amount", 20), "amount"),
                                           amount_reason=_text(form, "amount_reason", 500))
    except DomainError as exc:
        session.rollback()
        ctx = _apply_context(session, actor, measure_id, year, answers)
        ctx.update(message=exc.message, fields=exc.fields)
        return render(request, "funds/apply.html", {**_common(), **ctx}, status=exc.status)
    return RedirectResponse(f"/funds/claims/{claim.id}?ok=created", status_code=303)


# ---------------------------------------------------------------- queue and claim page

@router.get("/funds/claims", response_class=HTMLResponse)
def queue_page(request: Request, session: DbSession, actor: Annotated[Actor, Depends(require("funds:claim:read"))],
               state: Annotated[str, Query(max_length=20)] = "", division: Annotated[str, Query(max_length=12)] = "",
               measure: Annotated[str, Query(max_length=10)] = "", year: YearQuery = None,
               age: Annotated[int | None, Query(ge=0, le=3650)] = None, overdue: bool = False,
               page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    f = service.QueueFilter(state=state if state in service.STATES else "", division_code=division,
                            measure_id=measure, year=year, min_age_days=age, overdue=overdue, page=page, per_page=50)
    rows, total = service.queue(session, actor, f)
    cal = calendar.calendar_between(session, clock.today() - dt.timedelta(days=400),
                                    clock.today() + dt.timedelta(days=400))
    left = {c.id: calendar.working_days_between(session, clock.today(), c.due_on, cal)
            for c, _ in rows if c.due_on is not None and c.state not in service.TERMINAL_STATES}
    query = urlencode({k: v for k, v in {"state": f.state, "division": division, "measure": measure,
                                         "year": year or "", "age": age if age is not None else "",
                                         "overdue": "true" if overdue else ""}.items() if v != ""})
    measures = sorted({m for p in service.policy.packs().values() for m in p.measures})
    return render(request, "funds/queue.html", {
        **_common(), "rows": rows, "total": total, "f": f, "age": age, "left": left, "query": query,
        "pages": max(1, (total + 49) // 50), "measures": measures,
        "can_publish": actor.can("funds:notice:publish") and actor.scope == "city",
    }, headers=NO_STORE)


def _claim_page(request: Request, session: Session, actor: Actor, claim_id: int, message: str = "",
                fields: list[FieldError] | None = None, status: int = 200) -> Response:
    claim = service.get_claim(session, actor, claim_id)
    from lishui.registry import get_organisation_unscoped

    org = get_organisation_unscoped(session, claim.org_id)
    explanation = claim.explanation
    if not explanation and org is not None:
        try:
            explanation = service.estimate(session, actor, org, claim.measure_id, claim.year).explanation
        except DomainError:
            explanation = ""
    own = actor.org_id == claim.org_id
    line = service.line_for(session, claim.year, claim.budget_line)
    return render(request, "funds/claim.html", {
        **_common(), "claim": claim, "org": org, "facts": json.loads(claim.facts_json or "{}"),
        "explanation": explanation, "history": service.history(session, actor, claim.id),
        "evidence": service.list_evidence(session, actor, claim.id),
        "missing": service.missing_evidence(session, claim) if claim.origin == "application" else [],
        "evidence_items": service.policy.get_pack(claim.pack_key).measures[claim.measure_id].evidence,
        "objections": service.objections(session, actor, claim.id), "left": service.countdown(session, claim),
        "own": own, "line": line, "message": message, "fields": fields or [],
        "can_review": actor.can("funds:claim:review") and not own,
        "can_approve": actor.can("funds:claim:approve") and not own,
        "can_answer": actor.can("funds:objection:answer") and not own,
        "problems": service.pre_money_checks(session, claim) if claim.state == "notice"
        and actor.can("funds:claim:approve") else [],
    }, status=status, headers=NO_STORE)


@router.get("/funds/claims/{claim_id}", response_class=HTMLResponse)
def claim_page(request: Request, claim_id: RecordId, session: DbSession,
               actor: Annotated[Actor, Depends(require("funds:claim:read"))]) -> Response:
    return _claim_page(request, session, actor, claim_id)


def _act(request: Request, session: Session, actor: Actor, claim_id: int, run: Any, ok: str = "saved") -> Response:
    try:
        run()
    except NotFound:
        raise
    except DomainError as exc:
        session.rollback()
        return _claim_page(request, session, actor, claim_id, exc.message, exc.fields, exc.status)
    return RedirectResponse(f"/funds/claims/{claim_id}?ok={ok}", status_code=303)


@router.post("/funds/claims/{claim_id}/evidence", response_class=HTMLResponse)
def evidence_upload(request: Request, claim_id: RecordId, session: DbSession, form: PostedForm,
                    actor: Annotated[Actor, Depends(require("funds:claim:apply"))]) -> Response:
    upload = form.get("file")
    settings = request.app.state.settings

    def run() -> None:
        if upload is None or isinstance(upload, str):
            raise ValidationFailed("请选择文件", [FieldError("file", "请选择文件")])
        content = upload.file.read()
        check_size(content, settings.max_upload_bytes)
        service.add_evidence(session, actor, claim_id, item=_text(form, "item", 300),
                             filename=getattr(upload, "filename", "") or "", data=content,
                             folder=settings.upload_dir / "evidence", max_bytes=settings.max_upload_bytes)

    return _act(request, session, actor, claim_id, run)


@router.get("/funds/claims/{claim_id}/evidence")
def evidence_download(request: Request, claim_id: RecordId, session: DbSession,
                      actor: Annotated[Actor, Depends(require("funds:claim:read"))],
                      file: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None) -> Response:
    """Served as a download with the type judged at upload (PDF, image, Excel): never as a page, never run.
    Without ``file``: the claim page, which lists the claim's evidence."""
    if file is None:
        return _claim_page(request, session, actor, claim_id)
    evidence = service.get_evidence(session, actor, file)
    if evidence.claim_id != claim_id:
        raise NotFound("材料不存在")
    path = request.app.state.settings.upload_dir / "evidence" / evidence.stored_name
    if not path.is_file():
        raise NotFound("材料文件不存在")
    return Response(path.read_bytes(), media_type=evidence.media_type, headers={
        "Content-Disposition": f'attachment; filename="evidence-{evidence.id}.{evidence.kind}"',
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox", **NO_STORE})


@router.post("/funds/claims/{claim_id}/submit", response_class=HTMLResponse)
def claim_submit(request: Request, claim_id: RecordId, session: DbSession, form: PostedForm,
                 actor: Annotated[Actor, Depends(require("funds:claim:apply"))]) -> Response:
    return _act(request, session, actor, claim_id,
                lambda: service.submit(session, actor, claim_id, _text(form, "note")))


@router.post("/funds/claims/{claim_id}/confirm", response_class=HTMLResponse)
def claim_confirm(request: Request, claim_id: RecordId, session: DbSession, form: PostedForm,
                  actor: Annotated[Actor, Depends(require("funds:claim:apply"))]) -> Response:
    return _act(request, session, actor, claim_id, lambda: candidates.confirm(
        session, actor, claim_id, account_confirmed=_text(form, "account_confirmed") == "yes"))


@router.post("/funds/claims/{claim_id}/withdraw", response_class=HTMLResponse)
def claim_withdraw(request: Request, claim_id: RecordId, session: DbSession, form: PostedForm,
                   actor: Annotated[Actor, Depends(require("funds:claim:apply"))]) -> Response:
    return _act(request, session, actor, claim_id,
                lambda: service.withdraw(session, actor, claim_id, _text(form, "reason")))


@router.post("/funds/claims/{claim_id}/review", response_class=HTMLResponse)
def claim_review(request: Request, claim_id: RecordId, session: DbSession, form: PostedForm,
                 actor: Annotated[Actor, Depends(require("funds:claim:review"))]) -> Response:
    def run() -> None:
        action = _text(form, "action", 20)
        if action not in ("prelim_pass", "city_pass", "return", "reject", "amend_amount"):
            raise ValidationFailed("未知的操作", [FieldError("action", "未知的操作")])
        review_action(session, actor, claim_id, action, _text(form, "reason"), _yuan(_text(form, "amount", 20),
                      "amount"), _date(_text(form, "deadline", 10), "deadline"))

    return _act(request, session, actor, claim_id, run)


@router.post("/funds/claims/{claim_id}/approve", response_class=HTMLResponse)
def claim_approve(request: Request, claim_id: RecordId, session: DbSession, form: PostedForm,
                  actor: Annotated[Actor, Depends(require("funds:claim:approve"))]) -> Response:
    return _act(request, session, actor, claim_id,
                lambda: service.approve(session, actor, claim_id, _text(form, "note")))


@router.post("/funds/claims/{claim_id}/objections/answer", response_class=HTMLResponse)
def objection_answer(request: Request, claim_id: RecordId, session: DbSession, form: PostedForm,
                     actor: Annotated[Actor, Depends(require("funds:objection:answer"))]) -> Response:
    def run() -> None:
        service.get_claim(session, actor, claim_id)
        try:
            objection_id = int(_text(form, "objection", 10))
        except ValueError:
            raise ValidationFailed("请选择异议", [FieldError("objection", "请选择异议")]) from None
        objection = session.get(service.Objection, objection_id) if 0 < objection_id < 2**31 else None
        if objection is None or objection.claim_id != claim_id:
            raise ValidationFailed("该申报没有这条异议", [FieldError("objection", "不存在")])
        service.answer_objection(session, actor, objection_id, upheld=_text(form, "upheld") == "yes",
                                 answer=_text(form, "answer", 5000))

    return _act(request, session, actor, claim_id, run)


@router.post("/funds/notices", response_class=HTMLResponse)
def notice_publish(request: Request, session: DbSession, form: PostedForm,
                   actor: Annotated[Actor, Depends(require("funds:notice:publish"))]) -> Response:
    try:
        days = int(_text(form, "days", 3) or service.NOTICE_DAYS)
    except ValueError:
        days = 0
    try:
        notice = service.publish_notice(session, actor, days=days)
    except DomainError as exc:
        session.rollback()
        return render(request, "web/error.html", {"status": exc.status, "code": exc.code, "message": exc.message,
                                                  "fields": exc.fields}, status=exc.status)
    return RedirectResponse(f"/funds/public/notices?notice={notice.id}", status_code=303)


# ---------------------------------------------------------------- budget

@router.get("/funds/budget", response_class=HTMLResponse)
def budget_page(request: Request, session: DbSession, actor: Annotated[Actor, Depends(require("funds:budget:read"))],
                year: YearQuery = None) -> Response:
    year = year or _default_year(session)
    return render(request, "funds/budget.html", {
        **_common(), "year": year, "report": reports.execution(session, year), "message": "", "fields": [],
        "can_write": actor.can("funds:budget:write")}, headers=NO_STORE)


@router.post("/funds/budget", response_class=HTMLResponse)
def budget_create(request: Request, session: DbSession, form: PostedForm,
                  actor: Annotated[Actor, Depends(require("funds:budget:write"))]) -> Response:
    try:
        year = int(_text(form, "year", 4) or 0)
    except ValueError:
        year = 0
    try:
        if not 2000 <= year <= 2100:
            raise ValidationFailed("年度有误", [FieldError("year", "应在 2000–2100 之间")])
        service.create_budget(session, actor, year=year, lines={
            ("general", "city"): _yuan(_text(form, "general", 20), "general") or Money(0),
            ("rural", "city"): _yuan(_text(form, "rural", 20), "rural") or Money(0),
            ("general", "provincial"): _yuan(_text(form, "provincial", 20), "provincial") or Money(0)})
    except DomainError as exc:
        session.rollback()
        shown = year if 2000 <= year <= 2100 else _default_year(session)
        return render(request, "funds/budget.html", {
            **_common(), "year": shown, "report": reports.execution(session, shown), "message": exc.message,
            "fields": exc.fields, "can_write": True}, status=exc.status)
    return RedirectResponse(f"/funds/budget?year={year}&ok=created", status_code=303)


@router.post("/funds/budget/settings", response_class=HTMLResponse)
def budget_settings(request: Request, session: DbSession, form: PostedForm,
                    actor: Annotated[Actor, Depends(require("funds:budget:write"))]) -> Response:
    """A jurisdiction's city share (S3), or a measure's allocation on a line."""
    try:
        year = int(_text(form, "year", 4) or 0)
    except ValueError:
        year = 0
    year = year if 2000 <= year <= 2100 else _default_year(session)
    try:
        if _text(form, "what", 20) == "cost_share":
            try:
                share = Decimal(_text(form, "city_share", 10))
            except InvalidOperation:
                raise ValidationFailed("比例应为 0 到 1 之间的小数", [FieldError("city_share", "如 0.6")]) from None
            division = _text(form, "division", 12)
            if division not in division_names():
                raise ValidationFailed("请选择县（市、区）", [FieldError("division", "未知的县（市、区）")])
            service.set_cost_share(session, actor, year, division, share)
        else:
            line = service.line_for(session, year, _text(form, "line", 20))
            if line is None:
                raise ValidationFailed("该年度没有这个预算行", [FieldError("line", "不存在")])
            amount = _yuan(_text(form, "amount", 20), "amount")
            if amount is None:
                raise ValidationFailed("请填写分配金额", [FieldError("amount", "不能为空")])
            service.set_allocation(session, actor, line.id, _text(form, "measure", 10), amount)
    except DomainError as exc:
        session.rollback()
        return render(request, "funds/budget.html", {
            **_common(), "year": year, "report": reports.execution(session, year), "message": exc.message,
            "fields": exc.fields, "can_write": True}, status=exc.status)
    return RedirectResponse(f"/funds/budget?year={year}&ok=saved", status_code=303)


@router.get("/funds/budget/export")
def budget_export(session: DbSession, _: Annotated[Actor, Depends(require("funds:budget:read", rate="export"))],
                  year: YearQuery = None) -> Response:
    year = year or _default_year(session)
    rows = reports.export_rows(reports.execution(session, year), division_names())
    return Response(write_xlsx(reports.EXPORT_HEADERS, rows, f"{year}预算执行"), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="funds-budget-execution-{year}.xlsx"', **NO_STORE})


# ---------------------------------------------------------------- finance

def _finance(request: Request, session: Session, actor: Actor, year: int, message: str = "",
             report: payments.PaidFileReport | None = None, status: int = 200) -> Response:
    approved, _ = service.queue(session, actor, service.QueueFilter(state="approved", year=year, per_page=200))
    return render(request, "funds/finance.html", {
        **_common(), "year": year, "batches": payments.list_batches(session, actor), "approved": approved,
        "reconciliation": ledger.reconcile(session, year) if actor.can("funds:ledger:read") else None,
        "message": message, "report": report, "can_write": actor.can("funds:payment:write")},
        status=status, headers=NO_STORE)


@router.get("/funds/finance", response_class=HTMLResponse)
def finance_page(request: Request, session: DbSession,
                 actor: Annotated[Actor, Depends(require("funds:payment:read"))], year: YearQuery = None) -> Response:
    return _finance(request, session, actor, year or _default_year(session))


@router.post("/funds/batches", response_class=HTMLResponse)
def batch_create(request: Request, session: DbSession, form: PostedForm,
                 actor: Annotated[Actor, Depends(require("funds:payment:write"))]) -> Response:
    try:
        year = int(_text(form, "year", 4) or 0)
    except ValueError:
        year = 0
    year = year if 2000 <= year <= 2100 else _default_year(session)
    try:
        batch = payments.create_batch(session, actor, year=year)
    except DomainError as exc:
        session.rollback()
        return _finance(request, session, actor, year, exc.message, status=exc.status)
    return RedirectResponse(f"/funds/batches/{batch.id}?ok=created", status_code=303)


@router.get("/funds/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, batch_id: RecordId, session: DbSession,
               actor: Annotated[Actor, Depends(require("funds:payment:read"))]) -> Response:
    batch = payments.get_batch(session, actor, batch_id)
    return render(request, "funds/batch.html", {
        **_common(), "batch": batch, "payments": payments.batch_payments(session, actor, batch_id),
        "can_write": actor.can("funds:payment:write")}, headers=NO_STORE)


@router.get("/funds/batches/{batch_id}/bank-file")
def batch_bank_file(batch_id: RecordId, session: DbSession,
                    actor: Annotated[Actor, Depends(require("funds:payment:write", rate="export"))],
                    format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx") -> Response:
    headers, rows = payments.bank_file_rows(session, actor, batch_id)
    return table_download(headers, rows, name=f"bank-payment-{batch_id}", format=format, sheet="付款",
                          extra_headers=NO_STORE)


@router.post("/funds/paid-file", response_class=HTMLResponse)
def paid_file_upload(request: Request, session: DbSession, form: PostedForm,
                     actor: Annotated[Actor, Depends(require("funds:payment:write"))]) -> Response:
    upload = form.get("file")
    year = _default_year(session)
    try:
        if upload is None or isinstance(upload, str):
            raise ValidationFailed("请选择银行回单文件", [FieldError("file", "请选择文件")])
        content = upload.file.read()
        check_size(content, request.app.state.settings.max_upload_bytes)
        report = payments.import_paid_file(session, actor, content, upload.filename or "")
    except DomainError as exc:
        session.rollback()
        return _finance(request, session, actor, year, exc.message, status=exc.status)
    if not report.ok:
        session.rollback()
        return _finance(request, session, actor, year, "回单文件中有错误行，未标记任何付款", report, status=422)
    return _finance(request, session, actor, year, "", report)


# ---------------------------------------------------------------- holidays

@router.get("/funds/holidays", response_class=HTMLResponse)
def holidays_page(request: Request, session: DbSession,
                  _: Annotated[Actor, Depends(require("funds:holiday:write"))], year: YearQuery = None) -> Response:
    year = year or clock.today().year
    return render(request, "funds/holidays.html", {**_common(), "year": year, "message": "",
                                                   "holidays": calendar.list_holidays(session, year)})


@router.post("/funds/holidays", response_class=HTMLResponse)
def holidays_save(request: Request, session: DbSession, form: PostedForm,
                  actor: Annotated[Actor, Depends(require("funds:holiday:write"))]) -> Response:
    try:
        day = _date(_text(form, "day", 10), "day")
        if day is None:
            raise ValidationFailed("请填写日期", [FieldError("day", "不能为空")])
        if _text(form, "remove") == "yes":
            calendar.remove_holiday(session, actor, day)
        else:
            calendar.set_holiday(session, actor, day=day, name=_text(form, "name", 50),
                                 is_workday=_text(form, "is_workday") == "yes")
    except DomainError as exc:
        session.rollback()
        year = clock.today().year
        return render(request, "funds/holidays.html", {**_common(), "year": year, "message": exc.message,
                                                       "holidays": calendar.list_holidays(session, year)},
                      status=exc.status)
    return RedirectResponse(f"/funds/holidays?year={day.year}&ok=saved", status_code=303)


# ---------------------------------------------------------------- public

@router.get("/funds/public/notices", response_class=HTMLResponse)
def public_notices(request: Request, session: DbSession, _: Annotated[Actor | None, Depends(public())],
                   notice: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None) -> Response:
    chosen = session.get(service.Notice, notice) if notice else None
    return render(request, "funds/public_notices.html", {
        **_common(), "notices": service.list_notices(session), "notice": chosen, "message": "", "fields": [],
        "form": {}, "rows": service.notice_claims(session, chosen.id) if chosen else []})


@router.post("/funds/public/objections", response_class=HTMLResponse)
def public_objection(request: Request, session: DbSession, form: PostedForm,
                     actor: Annotated[Actor | None, Depends(public())]) -> Response:
    values = {k: _text(form, k, 5000) for k in ("claim", "name", "contact", "text")}
    claim = session.get(service.Claim, int(values["claim"])) if values["claim"].isdigit() and int(
        values["claim"]) < 2**31 else None
    try:
        if claim is None:
            raise NotFound("该申报不在公示期")
        service.lodge_objection(session, actor, claim_id=claim.id, name=values["name"], contact=values["contact"],
                                text=values["text"])
    except DomainError as exc:
        session.rollback()
        chosen = session.get(service.Notice, claim.notice_id) if claim is not None and claim.notice_id else None
        return render(request, "funds/public_notices.html", {
            **_common(), "notices": service.list_notices(session), "notice": chosen, "message": exc.message,
            "fields": exc.fields, "form": values,
            "rows": service.notice_claims(session, chosen.id) if chosen else []}, status=exc.status)
    return RedirectResponse(f"/funds/public/notices?notice={claim.notice_id}&ok=objection", status_code=303)


@router.get("/funds/public/awards", response_class=HTMLResponse)
def public_awards(request: Request, session: DbSession, _: Annotated[Actor | None, Depends(public())],
                  year: YearQuery = None) -> Response:
    return render(request, "funds/public_awards.html", {
        **_common(), "year": year, "rows": service.published_awards(session, year)})
