"""Assessment pages: responsibility tasks, indicators and targets, scorecards, dashboard, bulletins."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from lishui.assessment import bulletins, dashboard, indicators, scoring, targets
from lishui.assessment import tasks as task_service
from lishui.core.actor import Actor
from lishui.core.errors import DomainError, FieldError, ValidationFailed
from lishui.core.files import check_size
from lishui.core.tabular import write_xlsx
from lishui.policy import service as policy
from lishui.registry import CITY_CODE
from lishui.web.deps import DbSession, PostedForm, RecordId
from lishui.web.downloads import XLSX, table_download
from lishui.web.guard import require
from lishui.web.imports import run_import
from lishui.web.nav import NavEntry, register
from lishui.web.templating import render, templates
from lishui.web.todo import Todo, register_todos

router = APIRouter(include_in_schema=False)

SECTION = "考核督查"
register(NavEntry(SECTION, "责任任务督查", "Responsibility tasks", "/assessment/tasks", "assessment:task:read",
                  order=500))



def _todos(session: Session, actor: Actor) -> list[Todo]:
    """Responsibility tasks in this person's scope: overdue, due soon, progress reports due, extensions to decide."""
    if not (actor.can("assessment:task:report") or actor.can("assessment:task:manage")):
        return []
    open_tasks = [t for t in task_service.list_tasks(session, actor, task_service.TaskFilter())
                  if t.status != "closed"]
    colours = [task_service.colour(t) for t in open_tasks]
    out = [Todo("逾期的责任任务", "Overdue tasks", colours.count("red"), "/assessment/tasks?colour=red", "danger"),
           Todo("临期的责任任务", "Tasks due soon", colours.count("yellow"), "/assessment/tasks?colour=yellow", "warn")]
    if actor.can("assessment:task:report"):
        out.append(Todo("应报送进展的任务", "Progress reports due", sum(task_service.report_due(t) for t in open_tasks),
                        "/assessment/tasks"))
    if actor.can("assessment:task:manage"):
        out.append(Todo("待审批的延期申请", "Extension requests to decide",
                        len(task_service.pending_extensions(session, [t.id for t in open_tasks])), "/assessment/tasks",
                        "warn"))
    return out


register_todos(_todos)

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
COLOUR = {"green": ("正常推进", "On schedule", "badge-ok"), "yellow": ("临期预警", "Due soon", "badge-warn"),
          "red": ("逾期", "Overdue", "badge-bad"), "closed": ("已办结", "Closed", "badge-muted")}
EVENT_KIND = {"report": ("进展报送", "Progress report"), "chase": ("督办催办", "Chase-up"),
              "deadline": ("截止日期", "Deadline"), "extension": ("延期", "Extension"), "closure": ("办结", "Closure")}


def num(value: Any, places: int | None = None) -> str:
    """A number for people: thousands separators, no exponent, no trailing zeros; "—" for none."""
    if value is None:
        return "—"
    number = Decimal(value)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    else:
        number = number.normalize()
    return format(number, ",f")


templates.env.filters["num"] = num


def default_year() -> int:
    return dt.date.today().year


def pack_options() -> list[str]:
    return sorted(policy.packs())


def _text(form: FormData, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _int(form: FormData, name: str, label: str) -> int:
    raw = _text(form, name, 20).strip()
    try:
        return int(raw)
    except ValueError:
        raise ValidationFailed(f"{label}有误", [FieldError(name, "应为整数")]) from None


# ---------------------------------------------------------------- tasks

@router.get("/assessment/tasks")
def task_list(request: Request, session: DbSession,
              actor: Annotated[Actor, Depends(require("assessment:task:read"))],
              year: YearQuery = None, division: Annotated[str, Query(max_length=12)] = "",
              colour: Annotated[str, Query(max_length=10)] = "", unit: Annotated[str, Query(max_length=50)] = "",
              message: str = "") -> Response:
    f = task_service.TaskFilter(year=year, division=division, colour=colour, unit=unit)
    items = task_service.list_tasks(session, actor, f)
    counts: dict[str, int] = {}
    for task in items:
        counts[task_service.colour(task)] = counts.get(task_service.colour(task), 0) + 1
    return render(request, "assessment/tasks.html", {
        "items": items, "f": f, "colour_of": task_service.colour, "report_due": task_service.report_due,
        "COLOUR": COLOUR, "counts": counts, "divisions": {CITY_CODE: "市直", **task_service.jurisdiction_names()},
        "packs": pack_options(), "default_year": default_year(), "message": message,
        "pending": task_service.pending_extensions(session, [t.id for t in items]),
    })


@router.post("/assessment/tasks/generate")
def task_generate(request: Request, session: DbSession, posted: PostedForm,
                  actor: Annotated[Actor, Depends(require("assessment:task:manage"))]) -> Response:
    try:
        year = _int(posted, "year", "年度")
        due_raw = _text(posted, "due_on", 20).strip()
        due = task_service.parse_date(due_raw, "due_on") if due_raw else None
        result = task_service.generate(session, actor, pack_key=_text(posted, "pack", 80), year=year, due_on=due)
    except DomainError as exc:
        session.rollback()
        return RedirectResponse(f"/assessment/tasks?message={quote(exc.message)}", status_code=303)
    note = f"已生成 {result.created} 项任务，已有 {result.existing} 项未重复生成"
    if result.unmapped:
        note += f"；{len(result.unmapped)} 个责任单位尚未对应到登记机构"
    return RedirectResponse(f"/assessment/tasks?year={year}&message={quote(note)}", status_code=303)


def _task_page(request: Request, session: Session, actor: Actor, task_id: int, message: str = "",
               errors: list[FieldError] | None = None, status: int = 200) -> Response:
    task = task_service.get_task(session, actor, task_id)
    return render(request, "assessment/task.html", {
        "task": task, "events": task_service.events(session, task),
        "extensions": task_service.extensions(session, task),
        "pending": task_service.pending_extension(session, task), "colour": task_service.colour(task),
        "report_due": task_service.report_due(task), "due": task_service.effective_due(task), "COLOUR": COLOUR,
        "EVENT_KIND": EVENT_KIND, "GRADES": task_service.GRADES, "message": message,
        "errors": {e.field: e.message for e in errors or []},
        "division_name": {CITY_CODE: "市直", **task_service.jurisdiction_names()}.get(task.division_code, ""),
    }, status=status)


@router.get("/assessment/tasks/{task_id}")
def task_detail(request: Request, task_id: RecordId, session: DbSession,
                actor: Annotated[Actor, Depends(require("assessment:task:read"))]) -> Response:
    return _task_page(request, session, actor, task_id)


def _act(request: Request, session: Session, actor: Actor, task_id: int, action: Any) -> Response:
    task_service.get_task(session, actor, task_id)  # out of scope: 404 before anything else
    try:
        action()
    except DomainError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        return _task_page(request, session, actor, task_id, exc.message, exc.fields, status=exc.status)
    return RedirectResponse(f"/assessment/tasks/{task_id}?ok=saved", status_code=303)


@router.post("/assessment/tasks/{task_id}/report")
def task_report(request: Request, task_id: RecordId, session: DbSession, posted: PostedForm,
                actor: Annotated[Actor, Depends(require("assessment:task:report"))]) -> Response:
    def run() -> None:
        upload = posted.get("attachment")
        attachment = None
        if isinstance(upload, UploadFile) and upload.filename:
            data = upload.file.read()
            check_size(data, request.app.state.settings.max_upload_bytes)
            attachment = (upload.filename, data)
        task_service.report_progress(session, actor, task_id, text=_text(posted, "text"),
                                     figures=task_service.parse_figures(_text(posted, "figures")),
                                     attachment=attachment, upload_dir=request.app.state.settings.upload_dir)
    return _act(request, session, actor, task_id, run)


@router.get("/assessment/tasks/{task_id}/attachment")
def task_attachment(request: Request, task_id: RecordId, session: DbSession,
                    actor: Annotated[Actor, Depends(require("assessment:task:read"))],
                    event: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0) -> Response:
    """The attachment of one progress report (``event``), or of the latest report that has one."""
    from lishui.core.files import sniff

    found = task_service.attachment(session, actor, task_id, event)
    path = request.app.state.settings.upload_dir / "assessment" / found.attachment_stored
    data = path.read_bytes()
    name = quote(found.attachment_name)
    return Response(data, media_type=sniff(data).media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}",
                             "Cache-Control": "no-store"})


@router.post("/assessment/tasks/{task_id}/extension")
def task_extension(request: Request, task_id: RecordId, session: DbSession, posted: PostedForm,
                   actor: Annotated[Actor, Depends(require("assessment:task:report"))]) -> Response:
    return _act(request, session, actor, task_id, lambda: task_service.request_extension(
        session, actor, task_id, until=task_service.parse_date(_text(posted, "until", 20), "until"),
        reason=_text(posted, "reason")))


@router.post("/assessment/tasks/{task_id}/deadline")
def task_deadline(request: Request, task_id: RecordId, session: DbSession, posted: PostedForm,
                  actor: Annotated[Actor, Depends(require("assessment:task:manage"))]) -> Response:
    return _act(request, session, actor, task_id, lambda: task_service.set_deadline(
        session, actor, task_id, due_on=task_service.parse_date(_text(posted, "due_on", 20), "due_on"),
        report_every_days=_int(posted, "report_every_days", "报送周期")))


@router.post("/assessment/tasks/{task_id}/chase")
def task_chase(request: Request, task_id: RecordId, session: DbSession, posted: PostedForm,
               actor: Annotated[Actor, Depends(require("assessment:task:manage"))]) -> Response:
    return _act(request, session, actor, task_id,
                lambda: task_service.chase(session, actor, task_id, note=_text(posted, "note")))


@router.post("/assessment/tasks/{task_id}/extension/decide")
def task_extension_decide(request: Request, task_id: RecordId, session: DbSession, posted: PostedForm,
                          actor: Annotated[Actor, Depends(require("assessment:task:manage"))]) -> Response:
    return _act(request, session, actor, task_id, lambda: task_service.decide_extension(
        session, actor, task_id, approve=_text(posted, "decision", 10) == "approve", note=_text(posted, "note")))


@router.post("/assessment/tasks/{task_id}/close")
def task_close(request: Request, task_id: RecordId, session: DbSession, posted: PostedForm,
               actor: Annotated[Actor, Depends(require("assessment:task:manage"))]) -> Response:
    return _act(request, session, actor, task_id, lambda: task_service.close(
        session, actor, task_id, grade=_text(posted, "grade", 2), note=_text(posted, "note")))


@router.get("/assessment/units")
def unit_list(request: Request, session: DbSession,
              actor: Annotated[Actor, Depends(require("assessment:task:manage"))],
              pack: Annotated[str, Query(max_length=80)] = "lishui-2015@2015.1", message: str = "") -> Response:
    the_pack = policy.resolve_pack(pack)
    from sqlalchemy import select

    from lishui.registry import Organisation

    government = list(session.scalars(select(Organisation).where(Organisation.kind == "government")
                                      .order_by(Organisation.division_code, Organisation.name)))
    rows = task_service.unit_table(session, the_pack)
    return render(request, "assessment/units.html", {
        "rows": rows, "pack": pack, "government": government, "message": message,
        "unmapped": sum(1 for _, org in rows if org is None),
        "divisions": {CITY_CODE: "市直", **task_service.jurisdiction_names()},
    })


@router.post("/assessment/units")
def unit_link(request: Request, session: DbSession, posted: PostedForm,
              actor: Annotated[Actor, Depends(require("assessment:task:manage"))]) -> Response:
    try:
        task_service.link_unit(session, actor, name=_text(posted, "name", 100),
                               org_id=_int(posted, "org_id", "机构"))
    except DomainError as exc:
        session.rollback()
        return RedirectResponse(f"/assessment/units?message={quote(exc.message)}", status_code=303)
    return RedirectResponse("/assessment/units?ok=saved", status_code=303)


# ---------------------------------------------------------------- indicators and targets

register(NavEntry(SECTION, "指标数据", "Indicator data", "/assessment/indicators", "assessment:indicator:read",
                  order=510))
register(NavEntry(SECTION, "2018年目标进度", "2018 targets", "/assessment/targets", "assessment:indicator:read",
                  order=520))


def _indicator_page(request: Request, session: Session, actor: Actor, indicator: str = "", division: str = "",
                    message: str = "", errors: list[FieldError] | None = None, status: int = 200) -> Response:
    return render(request, "assessment/indicators.html", {
        "items": indicators.recent(session, actor, indicator=indicator, division=division),
        "INDICATORS": indicators.INDICATORS, "divisions": indicators.divisions(), "indicator": indicator,
        "division": division, "message": message, "errors": {e.field: e.message for e in errors or []},
    }, status=status)


@router.get("/assessment/indicators")
def indicator_list(request: Request, session: DbSession,
                   actor: Annotated[Actor, Depends(require("assessment:indicator:read"))],
                   indicator: Annotated[str, Query(max_length=60)] = "",
                   division: Annotated[str, Query(max_length=12)] = "") -> Response:
    return _indicator_page(request, session, actor, indicator, division)


@router.post("/assessment/indicators")
def indicator_record(request: Request, session: DbSession, posted: PostedForm,
                     actor: Annotated[Actor, Depends(require("assessment:indicator:write"))]) -> Response:
    try:
        obs = indicators.record(session, actor, indicator=_text(posted, "indicator", 60),
                                division=_text(posted, "division", 12), period=_text(posted, "period", 10),
                                value=_text(posted, "value", 40), note=_text(posted, "note", 300))
    except DomainError as exc:
        session.rollback()
        return _indicator_page(request, session, actor, message=exc.message, errors=exc.fields, status=exc.status)
    note = "已记录为新的修订，原值保留" if obs is not None else "与现有数值相同，未产生新修订"
    return _indicator_page(request, session, actor, message=note)


@router.get("/assessment/indicators/history")
def indicator_history(request: Request, session: DbSession,
                      actor: Annotated[Actor, Depends(require("assessment:indicator:read"))],
                      indicator: Annotated[str, Query(max_length=60)] = "",
                      division: Annotated[str, Query(max_length=12)] = "",
                      period: Annotated[str, Query(max_length=10)] = "") -> Response:
    items = indicators.history(session, actor, indicator=indicator, division=division, period=period)
    return render(request, "assessment/history.html", {
        "items": items, "info": indicators.INDICATORS.get(indicator), "division": indicators.divisions().get(
            division, division), "period": period})


def _import_page(request: Request, report: indicators.ImportReport | None, filename: str, message: str = "",
                 fields: Any = (), status: int = 200) -> Response:
    return render(request, "assessment/indicators_import.html", {
        "report": report, "filename": filename, "message": message, "fields": list(fields),
        "INDICATORS": indicators.INDICATORS, "divisions": indicators.divisions()}, status=status)


@router.get("/assessment/indicators/import")
def indicator_import_page(request: Request,
                          _: Annotated[Actor, Depends(require("assessment:indicator:write"))]) -> Response:
    return _import_page(request, None, "")


@router.post("/assessment/indicators/import")
def indicator_import(request: Request, session: DbSession, posted: PostedForm,
                     actor: Annotated[Actor, Depends(require("assessment:indicator:write"))]) -> Response:
    upload = posted.get("file")
    if not isinstance(upload, UploadFile):
        return _import_page(request, None, "", "请选择要上传的文件", [FieldError("file", "缺少文件")], status=422)
    return run_import(request, session, upload,  # type: ignore[arg-type]
                      lambda content, name: indicators.import_observations(session, actor, content, name),
                      _import_page)


@router.get("/assessment/indicators/template")
def indicator_template(_: Annotated[Actor, Depends(require("assessment:indicator:read"))],
                       format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx") -> Response:
    headers, rows = indicators.template()
    return table_download(headers, rows, name="indicator-template", format=format, sheet="指标数据导入模板")


@router.get("/assessment/targets")
def target_page(request: Request, session: DbSession,
                actor: Annotated[Actor, Depends(require("assessment:indicator:read"))],
                division: Annotated[str, Query(max_length=12)] = CITY_CODE, year: YearQuery = None,
                message: str = "") -> Response:
    if division not in indicators.divisions():
        division = CITY_CODE
    pack = targets.default_pack()
    return render(request, "assessment/targets.html", {
        "rows": targets.progress(session, pack, division, year), "division": division,
        "divisions": indicators.divisions(), "STATUS": targets.STATUS, "INDICATORS": indicators.INDICATORS,
        "split": targets.breakdowns(session, pack), "leaves": targets.leaves(pack), "year": year or default_year(),
        "message": message, "pack": pack,
    })


@router.post("/assessment/targets/breakdown")
def target_breakdown(request: Request, session: DbSession, posted: PostedForm,
                     actor: Annotated[Actor, Depends(require("assessment:target:write"))]) -> Response:
    division = _text(posted, "division", 12)
    try:
        targets.set_breakdown(session, actor, targets.default_pack(), target_id=_text(posted, "target", 10),
                              division=division, value=_text(posted, "value", 40))
    except DomainError as exc:
        session.rollback()
        return RedirectResponse(f"/assessment/targets?division={quote(division)}&message={quote(exc.message)}",
                                status_code=303)
    return RedirectResponse(f"/assessment/targets?division={quote(division)}&ok=saved", status_code=303)


# ---------------------------------------------------------------- county assessment

register(NavEntry(SECTION, "县（区）考核排名", "County ranking", "/assessment/scorecards", "assessment:scorecard:read",
                  order=530))
register(NavEntry(SECTION, "考核方案", "Scoring scheme", "/assessment/scheme", "assessment:scheme:write", order=540))
SCHEME_ROWS = 8


@router.get("/assessment/scorecards")
def scorecard_list(request: Request, session: DbSession,
                   actor: Annotated[Actor, Depends(require("assessment:scorecard:read"))], year: YearQuery = None,
                   sort: Annotated[str, Query(pattern="^(score|improvement)$")] = "score") -> Response:
    year = year or default_year() - 1
    scheme, items = scoring.current_scheme(session, year)
    return render(request, "assessment/scorecards.html", {
        "cards": scoring.ranking(session, year, sort), "year": year, "sort": sort, "scheme": scheme,
        "items": items, "RULES": scoring.RULES,
        "own": actor.scope_division if actor.scope == "division" else None, "city": actor.scope == "city",
    })


@router.get("/assessment/scorecards/detail")
def scorecard_detail(request: Request, session: DbSession,
                     actor: Annotated[Actor, Depends(require("assessment:scorecard:read"))], year: YearQuery = None,
                     division: Annotated[str, Query(max_length=12)] = "") -> Response:
    year = year or default_year() - 1
    division = division or (actor.scope_division if actor.scope == "division" and actor.scope_division
                            else "331102")
    card = scoring.scorecard(session, actor, year, division)
    return render(request, "assessment/scorecard.html", {"card": card, "year": year, "RULES": scoring.RULES})


@router.get("/assessment/scheme")
def scheme_page(request: Request, session: DbSession,
                actor: Annotated[Actor, Depends(require("assessment:scheme:write"))], year: YearQuery = None,
                message: str = "", status: int = 200) -> Response:
    year = year or default_year() - 1
    scheme, items = scoring.current_scheme(session, year)
    return render(request, "assessment/scheme.html", {
        "year": year, "scheme": scheme, "items": items, "rows": SCHEME_ROWS, "RULES": scoring.RULES,
        "INDICATORS": indicators.INDICATORS, "message": message}, status=status)


@router.post("/assessment/scheme")
def scheme_save(request: Request, session: DbSession, posted: PostedForm,
                actor: Annotated[Actor, Depends(require("assessment:scheme:write"))]) -> Response:
    indicators_ = posted.getlist("indicator")
    weights = posted.getlist("weight")
    rules = posted.getlist("rule")
    items = [{"indicator": i, "weight": w, "rule": r} for i, w, r in zip(indicators_, weights, rules, strict=False)
             if isinstance(i, str) and isinstance(w, str) and w.strip()]
    try:
        year = _int(posted, "year", "年度")
        scoring.save_scheme(session, actor, year=year, name=_text(posted, "name", 100), items=items)
    except DomainError as exc:
        session.rollback()
        detail = exc.message + "：" + "；".join(f.message for f in exc.fields)
        return scheme_page(request, session, actor, None, detail, status=exc.status)
    return RedirectResponse(f"/assessment/scorecards?year={year}&ok=saved", status_code=303)


# ---------------------------------------------------------------- dashboard

register(NavEntry(SECTION, "数据看板", "Dashboard", "/assessment/dashboard", "assessment:indicator:read", order=505))


def _dashboard(session: Session, indicator: str, division: str, year: int | None,
               grain: str = "year") -> dashboard.Dashboard:
    return dashboard.build(session, indicator=indicator or "city_online_retail", division=division or CITY_CODE,
                           year=year or default_year(), grain=grain)


GrainQuery = Annotated[str, Query(pattern="^(year|quarter|month)$")]


@router.get("/assessment/dashboard")
def dashboard_page(request: Request, session: DbSession,
                   actor: Annotated[Actor, Depends(require("assessment:indicator:read"))],
                   indicator: Annotated[str, Query(max_length=60)] = "",
                   division: Annotated[str, Query(max_length=12)] = "", year: YearQuery = None,
                   grain: GrainQuery = "year") -> Response:
    board = _dashboard(session, indicator, division, year, grain)
    return render(request, "assessment/dashboard.html", {
        "board": board, "chart_data": board.chart_data(), "INDICATORS": indicators.INDICATORS,
        "divisions": indicators.divisions(), "grain": grain, "GRAINS": dashboard.GRAINS,
        "query": f"indicator={board.indicator}&division={board.division}&year={board.year}&grain={grain}",
    })


@router.get("/assessment/dashboard/export")
def dashboard_export(session: DbSession,
                     actor: Annotated[Actor, Depends(require("assessment:indicator:read", rate="export"))],
                     table: Annotated[str, Query(pattern="^(trend|counties|targets)$")] = "trend",
                     indicator: Annotated[str, Query(max_length=60)] = "",
                     division: Annotated[str, Query(max_length=12)] = "", year: YearQuery = None,
                     grain: GrainQuery = "year") -> Response:
    board = _dashboard(session, indicator, division, year, grain)
    found = {"trend": board.trend, "counties": board.counties, "targets": board.gauges}[table]
    name = quote(f"{found.title}.xlsx")
    return Response(write_xlsx(found.headers, found.rows, found.name), media_type=XLSX,
                    headers={"Content-Disposition": f"attachment; filename=\"{table}.xlsx\"; filename*=UTF-8''{name}",
                             "Cache-Control": "no-store"})


# ---------------------------------------------------------------- bulletins

register(NavEntry(SECTION, "进度通报", "Progress bulletins", "/assessment/bulletins", "assessment:bulletin:read",
                  order=550))
PDF = "application/pdf"


@router.get("/assessment/bulletins")
def bulletin_list(request: Request, session: DbSession,
                  actor: Annotated[Actor, Depends(require("assessment:bulletin:read"))],
                  period: Annotated[str, Query(max_length=10)] = "", message: str = "") -> Response:
    return render(request, "assessment/bulletins.html", {
        "items": bulletins.archive(session), "period": period or bulletins.default_period(), "message": message})


@router.get("/assessment/bulletins/preview")
def bulletin_preview(request: Request, session: DbSession,
                     actor: Annotated[Actor, Depends(require("assessment:bulletin:read"))],
                     period: Annotated[str, Query(max_length=10)] = "") -> Response:
    content = bulletins.snapshot(session, period or bulletins.default_period())
    return render(request, "assessment/bulletin.html", {"c": content, "bulletin": None})


@router.get("/assessment/bulletins/preview.pdf")
def bulletin_preview_pdf(session: DbSession,
                         actor: Annotated[Actor, Depends(require("assessment:bulletin:read", rate="export"))],
                         period: Annotated[str, Query(max_length=10)] = "") -> Response:
    content = bulletins.snapshot(session, period or bulletins.default_period())
    return Response(bulletins.render_pdf(content), media_type=PDF, headers={
        "Content-Disposition": f'attachment; filename="bulletin-preview-{content["period"]}.pdf"',
        "Cache-Control": "no-store"})


@router.post("/assessment/bulletins")
def bulletin_publish(request: Request, session: DbSession, posted: PostedForm,
                     actor: Annotated[Actor, Depends(require("assessment:bulletin:publish"))]) -> Response:
    try:
        bulletin = bulletins.publish(session, actor, _text(posted, "period", 10))
    except DomainError as exc:
        session.rollback()
        return RedirectResponse(f"/assessment/bulletins?message={quote(exc.message)}", status_code=303)
    return RedirectResponse(f"/assessment/bulletins/{bulletin.id}?ok=published", status_code=303)


@router.get("/assessment/bulletins/{bulletin_id}")
def bulletin_detail(request: Request, bulletin_id: RecordId, session: DbSession,
                    actor: Annotated[Actor, Depends(require("assessment:bulletin:read"))]) -> Response:
    import json

    bulletin = bulletins.get(session, bulletin_id)
    return render(request, "assessment/bulletin.html", {"c": json.loads(bulletin.content), "bulletin": bulletin})


@router.get("/assessment/bulletins/{bulletin_id}/pdf")
def bulletin_pdf(bulletin_id: RecordId, session: DbSession,
                 actor: Annotated[Actor, Depends(require("assessment:bulletin:read", rate="export"))]) -> Response:
    bulletin = bulletins.get(session, bulletin_id)
    name = quote(f"{bulletin.title}.pdf")
    return Response(bulletin.pdf, media_type=PDF, headers={
        "Content-Disposition": f"attachment; filename=\"bulletin-{bulletin.id}.pdf\"; filename*=UTF-8''{name}",
        "Cache-Control": "no-store"})
