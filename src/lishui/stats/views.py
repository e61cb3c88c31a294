"""Statistics pages: the reporter's workspace, data entry with inline checks, the officers' queues, one report with
its history, corrections, uploads, locks and their exceptions, form administration."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.errors import DomainError, FieldError, Forbidden
from lishui.stats import imports, indicators, service
from lishui.stats.models import StatsForm, StatsSubmission
from lishui.stats.rules import TYPE_LABELS, check_values, display, load_values, spec_of
from lishui.web.deps import DbSession, PostedForm, RecordId
from lishui.web.downloads import table_download
from lishui.web.guard import require
from lishui.web.imports import run_import
from lishui.web.nav import NavEntry, register
from lishui.web.templating import render
from lishui.web.todo import Todo, register_todos

router = APIRouter(prefix="/stats", include_in_schema=False)

register(NavEntry("统计监测", "我的报表", "My reports", "/stats", "stats:report:submit", order=300))
register(NavEntry("统计监测", "报表记录", "Reports", "/stats/submissions", "stats:report:read", order=310))
register(NavEntry("统计监测", "批量导入", "Upload", "/stats/import", "stats:report:import", order=320))
register(NavEntry("统计监测", "统计指标", "Indicators", "/stats/indicators", "stats:indicator:read", order=315))
register(NavEntry("统计监测", "锁定与例外", "Locks", "/stats/locks", "stats:lock:write", order=330))
register(NavEntry("统计监测", "报表管理", "Forms", "/stats/admin/forms", "stats:form:write", order=340))


def _todos(session: Session, actor: Actor) -> list[Todo]:
    """Reports this person owes (overdue, returned) and, for officers, the queue at their step and the flagged
    values awaiting a note."""
    out: list[Todo] = []
    if actor.can("stats:report:submit"):
        owed = [d.state for d in service.workspace(session, actor)]
        out += [Todo("逾期未报的报表", "Overdue reports", owed.count("overdue"), "/stats", "danger"),
                Todo("被退回待更正的报表", "Reports returned to you", owed.count("returned"), "/stats", "danger")]
    if service.is_officer(actor):
        counts = service.counts_by_status(session, actor)
        status = service.queue_status_for(actor)
        out += [Todo("待审核的报表" if status == "submitted" else "待确认的报表",
                     "Reports to verify" if status == "submitted" else "Reports to accept", counts[status],
                     f"/stats/submissions?status={status}"),
                Todo("待说明的异常值", "Flagged values to explain", counts["flagged"],
                     "/stats/submissions?flagged=true", "warn")]
    return out


register_todos(_todos)

VOCAB: dict[str, Any] = {"statuses": service.STATUSES, "subjects": service.SUBJECTS, "channels": service.CHANNELS,
                         "period_types": {"day": "日报", "month": "月报", "quarter": "季报", "year": "年报"},
                         "display": display, "examples": imports.PERIOD_EXAMPLES}


def _messages(exc: DomainError) -> tuple[str, dict[str, str]]:
    errors: dict[str, str] = {}
    for f in exc.fields:
        errors.setdefault(f.field, f.message)
    return exc.message, errors


# ---------------------------------------------------------------- workspace

@router.get("", response_class=HTMLResponse)
def workspace(request: Request, session: DbSession,
              actor: Annotated[Actor, Depends(require("stats:report:read"))]) -> Response:
    dues = service.workspace(session, actor)
    counts = service.counts_by_status(session, actor)
    officer = service.is_officer(actor)
    officer_forms = [f for f in service.list_forms(session) if officer and service.may_report(actor, f)]
    return render(request, "stats/workspace.html", {
        "dues": dues, "counts": counts, "queue_status": service.queue_status_for(actor),
        "officer": service.is_officer(actor), "officer_forms": officer_forms, **VOCAB,
    })


# ---------------------------------------------------------------- entry

def _entry_page(request: Request, session: Session, actor: Actor, form: StatsForm, data: dict[str, str],
                errors: dict[str, str], message: str, *, submission: StatsSubmission | None = None,
                status: int = 200) -> Response:
    entities = ([] if actor.scope == "org" or submission is not None else
                service.officer_entities(session, actor, form, limit=50 if form.subject != "division" else 500))
    return render(request, "stats/entry.html", {
        "form": form, "data": data, "errors": errors, "message": message, "entities": entities,
        "submission": submission, "entity_name": service.entity_name(session, submission) if submission else "",
        **VOCAB,
    }, status=status)


def _posted_values(form: StatsForm, posted: FormData) -> dict[str, str]:
    return {f.key: str(posted.get(f"v_{f.key}", ""))[:2100] for f in form.fields}


@router.get("/forms/{form_code}/entry", response_class=HTMLResponse)
def entry(request: Request, form_code: str, session: DbSession,
          actor: Annotated[Actor, Depends(require("stats:report:submit"))], period: str = "",
          entity: str = "") -> Response:
    form = service.get_form(session, form_code)
    if not service.may_report(actor, form):
        raise Forbidden("您不能填报此报表")
    return _entry_page(request, session, actor, form, {"period": period[:12], "entity": entity[:40]}, {}, "")


@router.get("/forms/{form_code}/entities", response_class=HTMLResponse)
def entity_options(request: Request, form_code: str, session: DbSession,
                   actor: Annotated[Actor, Depends(require("stats:report:submit"))], entity: str = "") -> Response:
    """The organisations matching what an officer typed (name or credit code), as options of the entry form's list:
    only those in the officer's scope."""
    form = service.get_form(session, form_code)
    if not service.may_report(actor, form) or actor.scope == "org" or form.subject == "division":
        raise Forbidden("您不能填报此报表")
    found = service.officer_entities(session, actor, form, limit=20, query=entity)
    return render(request, "stats/_entity_options.html", {"entities": found})


@router.post("/forms/{form_code}/entry", response_class=HTMLResponse)
def entry_submit(request: Request, form_code: str, session: DbSession, posted: PostedForm,
                 actor: Annotated[Actor, Depends(require("stats:report:submit"))]) -> Response:
    form = service.get_form(session, form_code)
    values = _posted_values(form, posted)
    data = {"period": str(posted.get("period", ""))[:20], "entity": str(posted.get("entity", ""))[:40], **values}
    try:
        sub = service.submit(session, actor, form_code=form.code, entity_ref=data["entity"], period=data["period"],
                             values={k: v for k, v in values.items() if v.strip()}, channel="web")
    except DomainError as exc:
        if exc.status in (403, 404) and exc.code != "validation_failed":
            raise
        session.rollback()
        message, errors = _messages(exc)
        return _entry_page(request, session, actor, form, data, errors, message, status=exc.status)
    return RedirectResponse(f"/stats/submissions/{sub.id}?ok=created", status_code=303)


@router.post("/forms/{form_code}/check", response_class=HTMLResponse)
def entry_check(form_code: str, session: DbSession, posted: PostedForm,
                _: Annotated[Actor, Depends(require("stats:report:submit"))]) -> Response:
    """Inline checks while typing (htmx): types, ranges, required fields and sums; nothing is stored."""
    form = service.get_form(session, form_code)
    values = {k: v for k, v in _posted_values(form, posted).items() if v.strip()}
    checked = check_values(spec_of(form), values)
    if checked.ok:
        return HTMLResponse('<div class="alert alert-success" id="check-result" role="status">校验通过</div>')
    items = "".join(f"<li>{escape(m)}</li>" for _, m in checked.errors)
    return HTMLResponse(f'<div class="alert alert-error" id="check-result" role="alert"><ul class="plain-list">'
                        f'{items}</ul></div>')


# ---------------------------------------------------------------- lists and one report

@router.get("/submissions", response_class=HTMLResponse)
def submissions(request: Request, session: DbSession,
                actor: Annotated[Actor, Depends(require("stats:report:read"))], form: str = "", status: str = "",
                period: str = "", division: str = "", flagged: bool = False, page: int = 1) -> Response:
    f = service.SubmissionFilter(form=form[:40], status=status[:12], period=period[:12], division=division[:12],
                                 flagged=flagged, page=max(1, min(page, 100_000)))
    items, total = service.list_submissions(session, actor, f)
    # Links carry only the filters set: an empty ``flagged=`` is not a boolean and would be refused.
    filters = {k: v for k, v in {"status": f.status, "period": f.period, "division": f.division,
                                 "flagged": "true" if f.flagged else ""}.items() if v}
    query = urlencode({"form": f.form, **filters} if f.form else filters)
    export_query = urlencode(filters)
    return render(request, "stats/submissions.html", {
        "export_query": export_query,
        "items": items, "total": total, "f": f, "pages": max(1, -(-total // f.per_page)), "query": query,
        "names": service.entity_names(session, items), "forms": service.list_forms(session, active_only=False),
        "jurisdictions": service.jurisdictions(session), "division_name": service.division_name, **VOCAB,
    })


@router.get("/forms/{form_code}/export")
def submissions_export(form_code: str, session: DbSession,
                       actor: Annotated[Actor, Depends(require("stats:report:read", rate="export"))],
                       status: str = "", period: str = "", division: str = "", flagged: bool = False,
                       format: str = "xlsx") -> Response:
    """The reports of one form the list shows, as Excel or CSV, in the upload template's columns (audited)."""
    f = service.SubmissionFilter(form=service.get_form(session, form_code).code, status=status[:12],
                                 period=period[:12], division=division[:12], flagged=flagged)
    headers, rows, truncated = imports.export_rows(session, actor, f)
    audit.record(session, actor, "stats.submission.export", object_type="stats_form", object_id=f.form,
                 detail={"status": f.status, "period": f.period, "division": f.division, "flagged": f.flagged,
                         "rows": len(rows), "truncated": truncated, "format": format})
    name = f"reports-{f.form}" + (f"-{f.period}" if f.period else "")
    extra = {"X-Export-Truncated": str(imports.EXPORT_LIMIT)} if truncated else {}
    return table_download(headers, rows, name=name, format=format, sheet=f.form, extra_headers=extra)


def _submission_page(request: Request, session: Session, actor: Actor, sub: StatsSubmission, message: str = "",
                     errors: dict[str, str] | None = None, status: int = 200) -> Response:
    revisions = service.revisions_of(session, sub)
    current = next(r for r in revisions if r.revision == sub.current_revision)
    flags = json.loads(current.flags) if current.flags else []
    return render(request, "stats/submission.html", {
        "sub": sub, "form": sub.form, "entity_name": service.entity_name(session, sub),
        "values": load_values(current.values), "flags": flags, "flagged_fields": {f["field"] for f in flags},
        "revisions": revisions, "history": service.value_history(session, sub),
        "series": service.entity_series(session, sub),
        "may_correct": service.may_report(actor, sub.form) and (actor.scope != "org" or sub.org_id == actor.org_id),
        "message": message, "errors": errors or {}, "division_name": service.division_name,
        "load_values": load_values, **VOCAB,
    }, status=status)


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission(request: Request, submission_id: RecordId, session: DbSession,
               actor: Annotated[Actor, Depends(require("stats:report:read"))]) -> Response:
    return _submission_page(request, session, actor, service.get_submission(session, actor, submission_id))


def _act(request: Request, session: Session, actor: Actor, submission_id: int, run: Any) -> Response:
    try:
        run()
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        message, errors = _messages(exc)
        sub = service.get_submission(session, actor, submission_id)
        return _submission_page(request, session, actor, sub, message, errors, status=exc.status)
    return RedirectResponse(f"/stats/submissions/{submission_id}?ok=saved", status_code=303)


@router.post("/submissions/{submission_id}/verify", response_class=HTMLResponse)
def verify(request: Request, submission_id: RecordId, session: DbSession, posted: PostedForm,
           actor: Annotated[Actor, Depends(require("stats:report:verify"))]) -> Response:
    note = str(posted.get("note", ""))[:1000]
    return _act(request, session, actor, submission_id,
                lambda: service.verify(session, actor, submission_id, note=note))


@router.post("/submissions/{submission_id}/accept", response_class=HTMLResponse)
def accept(request: Request, submission_id: RecordId, session: DbSession, posted: PostedForm,
           actor: Annotated[Actor, Depends(require("stats:report:accept"))]) -> Response:
    note = str(posted.get("note", ""))[:1000]
    return _act(request, session, actor, submission_id,
                lambda: service.accept(session, actor, submission_id, note=note))


@router.post("/submissions/{submission_id}/return", response_class=HTMLResponse)
def return_(request: Request, submission_id: RecordId, session: DbSession, posted: PostedForm,
            actor: Annotated[Actor, Depends(require("stats:report:verify"))]) -> Response:
    reason = str(posted.get("reason", ""))[:1000]
    return _act(request, session, actor, submission_id,
                lambda: service.return_submission(session, actor, submission_id, reason=reason))


@router.get("/submissions/{submission_id}/correct", response_class=HTMLResponse)
def correct_page(request: Request, submission_id: RecordId, session: DbSession,
                 actor: Annotated[Actor, Depends(require("stats:report:submit"))]) -> Response:
    sub = service.get_submission(session, actor, submission_id)
    if not service.may_report(actor, sub.form):
        raise Forbidden("您不能更正此报表")
    values = load_values(service.revision(session, sub).values)
    spec = {f.key: f for f in spec_of(sub.form).fields}
    data = {"period": sub.period, "reason": ""}
    data.update({k: display(spec[k], v).replace(",", "") if k in spec else v for k, v in values.items()})
    return _entry_page(request, session, actor, sub.form, data, {}, "", submission=sub)


@router.post("/submissions/{submission_id}/correct", response_class=HTMLResponse)
def correct(request: Request, submission_id: RecordId, session: DbSession, posted: PostedForm,
            actor: Annotated[Actor, Depends(require("stats:report:submit"))]) -> Response:
    sub = service.get_submission(session, actor, submission_id)
    form = sub.form
    values = _posted_values(form, posted)
    data = {"period": sub.period, "reason": str(posted.get("reason", ""))[:500], **values}
    try:
        service.correct(session, actor, submission_id, values={k: v for k, v in values.items() if v.strip()},
                        reason=data["reason"], channel="web")
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        message, errors = _messages(exc)
        sub = service.get_submission(session, actor, submission_id)
        return _entry_page(request, session, actor, sub.form, data, errors, message, submission=sub,
                           status=exc.status)
    return RedirectResponse(f"/stats/submissions/{submission_id}?ok=saved", status_code=303)


# ---------------------------------------------------------------- templates and uploads

@router.get("/forms/{form_code}/template")
def template(form_code: str, session: DbSession, _: Annotated[Actor, Depends(require("stats:form:read"))],
             format: str = "xlsx") -> Response:
    form = service.get_form(session, form_code)
    headers, rows = imports.template(form)
    return table_download(headers, rows, name=f"{form.code}-template", format=format, sheet=form.title)


def _import_page(session: Session, actor: Actor, form_code: str) -> Any:
    def page(request: Request, report: imports.ImportReport | None, filename: str, message: str = "",
             fields: list[FieldError] | None = None, status: int = 200) -> Response:
        forms = [f for f in service.list_forms(session) if service.may_report(actor, f)]
        chosen = next((f for f in forms if f.code == form_code), forms[0] if forms else None)
        return render(request, "stats/import.html", {
            "report": report, "message": message, "fields": fields or [], "filename": filename, "forms": forms,
            "chosen": chosen, "spec": spec_of(chosen) if chosen else None,
            "entity_column": imports.entity_column(chosen) if chosen else "", **VOCAB,
        }, status=status)

    return page


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, session: DbSession,
                actor: Annotated[Actor, Depends(require("stats:report:import"))], form: str = "") -> Response:
    return _import_page(session, actor, form[:40])(request, None, "")


@router.post("/import", response_class=HTMLResponse)
def import_upload(request: Request, session: DbSession, file: UploadFile,
                  actor: Annotated[Actor, Depends(require("stats:report:import"))], form: str = "") -> Response:
    code = form[:40]
    return run_import(request, session, file,
                      lambda content, name: imports.import_file(session, actor, code, content, name),
                      _import_page(session, actor, code))


# ---------------------------------------------------------------- locks and exceptions

def _locks_page(request: Request, session: Session, actor: Actor, data: dict[str, str], errors: dict[str, str],
                message: str, status: int = 200) -> Response:
    forms = {f.id: f for f in service.list_forms(session, active_only=False)}
    return render(request, "stats/locks.html", {
        "exceptions": service.list_exceptions(session, actor), "forms": forms, "data": data, "errors": errors,
        "message": message, "today": clock.today(), **VOCAB,
    }, status=status)


@router.get("/locks", response_class=HTMLResponse)
def locks(request: Request, session: DbSession,
          actor: Annotated[Actor, Depends(require("stats:lock:write"))]) -> Response:
    return _locks_page(request, session, actor, {"days": "14"}, {}, "")


@router.post("/locks", response_class=HTMLResponse)
def lock_open(request: Request, session: DbSession, posted: PostedForm,
              actor: Annotated[Actor, Depends(require("stats:lock:write"))]) -> Response:
    data = {k: str(posted.get(k, ""))[:500] for k in ("form", "entity", "period", "reason", "days")}
    try:
        days = int(data["days"]) if data["days"].isdigit() else 0
        service.open_exception(session, actor, form_code=data["form"], entity_ref=data["entity"],
                               period=data["period"], reason=data["reason"], days=days)
    except DomainError as exc:
        if exc.status == 403:
            raise
        session.rollback()
        message, errors = _messages(exc)
        if exc.status == 404:
            errors.setdefault("entity", exc.message)
        return _locks_page(request, session, actor, data, errors, message, status=exc.status)
    return RedirectResponse("/stats/locks?ok=created", status_code=303)


@router.post("/locks/{exception_id}/close", response_class=HTMLResponse)
def lock_close(exception_id: RecordId, session: DbSession,
               actor: Annotated[Actor, Depends(require("stats:lock:write"))]) -> Response:
    service.close_exception(session, actor, exception_id)
    return RedirectResponse("/stats/locks?ok=saved", status_code=303)


# ---------------------------------------------------------------- form administration

def _admin_forms_page(request: Request, session: Session, data: dict[str, str], errors: dict[str, str],
                      message: str, status: int = 200) -> Response:
    return render(request, "stats/admin_forms.html", {"forms": service.list_forms(session, active_only=False),
                                                       "data": data, "errors": errors, "message": message,
                                                       **VOCAB}, status=status)


@router.get("/admin/forms", response_class=HTMLResponse)
def admin_forms(request: Request, session: DbSession,
                _: Annotated[Actor, Depends(require("stats:form:write"))]) -> Response:
    return _admin_forms_page(request, session, {"deadline_days": "15", "reported_by": "self"}, {}, "")


@router.post("/admin/forms", response_class=HTMLResponse)
def admin_form_create(request: Request, session: DbSession, posted: PostedForm,
                      actor: Annotated[Actor, Depends(require("stats:form:write"))]) -> Response:
    data = {k: str(posted.get(k, ""))[:100] for k in ("code", "title", "period_type", "subject", "reported_by",
                                                       "deadline_days")}
    try:
        form = service.create_form(session, actor, code=data["code"], title=data["title"],
                                   period_type=data["period_type"], subject=data["subject"],
                                   reported_by=data["reported_by"], deadline_days=data["deadline_days"])
    except DomainError as exc:
        if exc.status == 403:
            raise
        session.rollback()
        message, errors = _messages(exc)
        return _admin_forms_page(request, session, data, errors, message, status=exc.status)
    return RedirectResponse(f"/stats/admin/forms/{form.code}?ok=created", status_code=303)


@router.post("/admin/forms/{form_code}/fields", response_class=HTMLResponse)
def admin_field_add(request: Request, form_code: str, session: DbSession, posted: PostedForm,
                    actor: Annotated[Actor, Depends(require("stats:form:write"))]) -> Response:
    data = {k: str(posted.get(k, ""))[:100] for k in ("key", "label", "type", "unit", "min_value", "max_value",
                                                       "part_of")}
    try:
        service.add_field(session, actor, form_code, key=data["key"], label=data["label"], type_=data["type"],
                          unit=data["unit"], required=posted.get("required") == "on", min_value=data["min_value"],
                          max_value=data["max_value"], part_of=data["part_of"],
                          outlier_check=posted.get("outlier_check") == "on")
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        message, errors = _messages(exc)
        return _admin_page(request, service.get_form(session, form_code), errors, message, status=exc.status,
                           new_field=data)
    return RedirectResponse(f"/stats/admin/forms/{form_code}?ok=saved#fields", status_code=303)


def _admin_page(request: Request, form: StatsForm, errors: dict[str, str], message: str,
                status: int = 200, new_field: dict[str, str] | None = None) -> Response:
    return render(request, "stats/admin_form.html", {
        "form": form, "errors": errors, "message": message, "new_field": new_field or {"required": "on"},
        "types": TYPE_LABELS, **VOCAB}, status=status)


@router.get("/admin/forms/{form_code}", response_class=HTMLResponse)
def admin_form(request: Request, form_code: str, session: DbSession,
               _: Annotated[Actor, Depends(require("stats:form:write"))]) -> Response:
    return _admin_page(request, service.get_form(session, form_code), {}, "")


@router.post("/admin/forms/{form_code}", response_class=HTMLResponse)
def admin_form_save(request: Request, form_code: str, session: DbSession, posted: PostedForm,
                    actor: Annotated[Actor, Depends(require("stats:form:write"))]) -> Response:
    form = service.get_form(session, form_code)
    settings = {k: str(posted.get(k, ""))[:100] for k in ("title", "deadline_days", "lock_days", "jump_factor",
                                                          "z_threshold")}
    settings["is_active"] = posted.get("is_active") == "on"  # type: ignore[assignment]
    fields = {f.key: {"label": str(posted.get(f"{f.key}.label", f.label))[:100],
                      "unit": str(posted.get(f"{f.key}.unit", f.unit))[:20],
                      "required": posted.get(f"{f.key}.required") == "on",
                      "outlier_check": posted.get(f"{f.key}.outlier_check") == "on",
                      "min_value": str(posted.get(f"{f.key}.min_value", f.min_value))[:30],
                      "max_value": str(posted.get(f"{f.key}.max_value", f.max_value))[:30]} for f in form.fields}
    revision = str(posted.get("revision", "0"))
    try:
        service.update_form(session, actor, form.code, revision=int(revision) if revision.isdigit() else 0,
                            settings=settings, fields=fields)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        message, errors = _messages(exc)
        return _admin_page(request, service.get_form(session, form_code), errors, message, status=exc.status)
    return RedirectResponse(f"/stats/admin/forms/{form.code}?ok=saved", status_code=303)


# ---------------------------------------------------------------- indicators

def _indicator_table(session: Session, actor: Actor, indicator: str, year: int, granularity: str) -> Any:
    year = year if 2000 <= year <= 2100 else (indicators.years_with_data(session) or [clock.today().year])[0]
    return indicators.compute(session, actor, indicator=indicator[:40], year=year, granularity=granularity[:10])


@router.get("/indicators", response_class=HTMLResponse)
def indicator_page(request: Request, session: DbSession,
                   actor: Annotated[Actor, Depends(require("stats:indicator:read"))], indicator: str = "online_retail",
                   year: int = 0, granularity: str = "month") -> Response:
    table = _indicator_table(session, actor, indicator, year, granularity)
    query = urlencode({"indicator": table.indicator.key, "year": table.year, "granularity": table.granularity})
    return render(request, "stats/indicators.html", {
        "table": table, "indicators": indicators.INDICATORS, "granularities": indicators.GRANULARITIES,
        "years": sorted({*indicators.years_with_data(session), table.year}, reverse=True), "query": query,
        "public": indicators.public_figures(session), "shown": indicators.shown,
        "division_name": service.division_name,
    })


@router.get("/indicators/export")
def indicator_export(session: DbSession,
                     actor: Annotated[Actor, Depends(require("stats:indicator:export", rate="export"))],
                     indicator: str = "online_retail", year: int = 0, granularity: str = "month",
                     format: str = "xlsx") -> Response:
    table = _indicator_table(session, actor, indicator, year, granularity)
    headers, rows = indicators.export_rows(table)
    audit.record(session, actor, "stats.indicator.export", object_type="stats_indicator", object_id=table.indicator.key,
                 detail={"year": table.year, "granularity": table.granularity, "rows": len(rows), "format": format})
    name = f"indicator-{table.indicator.key}-{table.year}-{table.granularity}"
    return table_download(headers, rows, name=name, format=format, sheet=table.indicator.label)
