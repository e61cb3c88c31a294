"""Assessment JSON API under /api/v1/assessment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from lishui.assessment import bulletins, indicators, scoring, targets
from lishui.assessment import tasks as task_service
from lishui.assessment.models import Task
from lishui.assessment.schemas import (
    BulletinBody,
    BulletinDetail,
    BulletinRead,
    ChaseBody,
    CloseBody,
    DeadlineBody,
    DecisionBody,
    ExtensionBody,
    GenerateBody,
    GenerateResult,
    IndicatorRead,
    ObservationCreate,
    ObservationRead,
    ProgressBody,
    SchemeItem,
    SchemeRead,
    SchemeWrite,
    ScorecardRead,
    ScoreLineRead,
    TargetProgressRead,
    TaskDetail,
    TaskEventRead,
    TaskRead,
)
from lishui.core.actor import Actor
from lishui.core.errors import FieldError, ValidationFailed
from lishui.core.files import check_size
from lishui.registry import CITY_CODE
from lishui.web.deps import DbSession, RecordId
from lishui.web.guard import require
from lishui.web.idempotency import IdempotencyKey, idempotent

router = APIRouter(prefix="/api/v1/assessment", tags=["assessment"])


def _read(task: Task) -> TaskRead:
    out = TaskRead.model_validate(task)
    out.colour = task_service.colour(task)
    return out


def _detail(session: Session, task: Task) -> TaskDetail:
    return TaskDetail(**_read(task).model_dump(),
                      events=[TaskEventRead.model_validate(e) for e in task_service.events(session, task)])


@router.get("/tasks", response_model=list[TaskRead])
def list_tasks(session: DbSession, actor: Annotated[Actor, Depends(require("assessment:task:read"))],
               year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
               division: Annotated[str, Query(max_length=12)] = "",
               colour: Annotated[str, Query(pattern="^(|green|yellow|red|closed)$")] = "") -> list[TaskRead]:
    f = task_service.TaskFilter(year=year, division=division, colour=colour)
    return [_read(t) for t in task_service.list_tasks(session, actor, f)]


@router.post("/tasks/generate", response_model=GenerateResult)
def generate_tasks(body: GenerateBody, session: DbSession,
                   actor: Annotated[Actor, Depends(require("assessment:task:manage"))]) -> GenerateResult:
    result = task_service.generate(session, actor, pack_key=body.pack, year=body.year, due_on=body.due_on,
                                   report_every_days=body.report_every_days)
    return GenerateResult(created=result.created, existing=result.existing, unmapped=result.unmapped)


@router.get("/tasks/{task_id}", response_model=TaskDetail)
def get_task(task_id: RecordId, session: DbSession,
             actor: Annotated[Actor, Depends(require("assessment:task:read"))]) -> TaskDetail:
    return _detail(session, task_service.get_task(session, actor, task_id))


@router.post("/tasks/{task_id}/reports", response_model=TaskDetail, status_code=201)
def report(request: Request, task_id: RecordId, body: ProgressBody, session: DbSession,
           actor: Annotated[Actor, Depends(require("assessment:task:report"))],
           idempotency_key: IdempotencyKey = None) -> JSONResponse:
    task_service.get_task(session, actor, task_id)
    if any(":" in k or "：" in k for k in body.figures):
        raise ValidationFailed("数据名称有误", [FieldError("figures", "名称中不能含冒号")])
    figures = task_service.parse_figures("\n".join(f"{k}: {v}" for k, v in body.figures.items()))

    def run() -> TaskDetail:
        task_service.report_progress(session, actor, task_id, text=body.text, figures=figures, attachment=None,
                                     upload_dir=request.app.state.settings.upload_dir)
        return _detail(session, task_service.get_task(session, actor, task_id))

    return idempotent(request, session, actor, idempotency_key, body, run)


@router.post("/tasks/{task_id}/reports/upload", response_model=TaskDetail, status_code=201)
def report_with_attachment(request: Request, task_id: RecordId, session: DbSession,
                           actor: Annotated[Actor, Depends(require("assessment:task:report"))],
                           text: Annotated[str, Form(min_length=1, max_length=5000)],
                           file: UploadFile | None = None,
                           figures: Annotated[str, Form(max_length=2000)] = "") -> TaskDetail:
    """A progress report with an attachment (multipart: ``text``, ``figures`` as lines "名称: 数值", ``file``:
    PDF, image, Excel or CSV)."""
    task_service.get_task(session, actor, task_id)  # out of scope: 404 before the body is looked at
    if file is None:
        raise ValidationFailed("缺少附件", [FieldError("file", "请上传 PDF、图片、Excel 或 CSV 文件")])
    content = file.file.read()
    check_size(content, request.app.state.settings.max_upload_bytes)
    task_service.report_progress(session, actor, task_id, text=text, figures=task_service.parse_figures(figures),
                                 attachment=(file.filename or "附件", content),
                                 upload_dir=request.app.state.settings.upload_dir)
    return _detail(session, task_service.get_task(session, actor, task_id))


@router.post("/tasks/{task_id}/extension", response_model=TaskDetail, status_code=201)
def request_extension(request: Request, task_id: RecordId, body: ExtensionBody, session: DbSession,
                      actor: Annotated[Actor, Depends(require("assessment:task:report"))],
                      idempotency_key: IdempotencyKey = None) -> JSONResponse:
    def run() -> TaskDetail:
        task_service.request_extension(session, actor, task_id, until=body.until, reason=body.reason)
        return _detail(session, task_service.get_task(session, actor, task_id))

    return idempotent(request, session, actor, idempotency_key, body, run)


@router.post("/tasks/{task_id}/extension/decision", response_model=TaskDetail)
def decide_extension(task_id: RecordId, body: DecisionBody, session: DbSession,
                     actor: Annotated[Actor, Depends(require("assessment:task:manage"))]) -> TaskDetail:
    task_service.decide_extension(session, actor, task_id, approve=body.approve, note=body.note)
    return _detail(session, task_service.get_task(session, actor, task_id))


@router.put("/tasks/{task_id}/deadline", response_model=TaskDetail)
def set_deadline(task_id: RecordId, body: DeadlineBody, session: DbSession,
                 actor: Annotated[Actor, Depends(require("assessment:task:manage"))]) -> TaskDetail:
    task_service.set_deadline(session, actor, task_id, due_on=body.due_on, report_every_days=body.report_every_days)
    return _detail(session, task_service.get_task(session, actor, task_id))


@router.post("/tasks/{task_id}/chase-ups", response_model=TaskDetail, status_code=201)
def chase(request: Request, task_id: RecordId, body: ChaseBody, session: DbSession,
          actor: Annotated[Actor, Depends(require("assessment:task:manage"))],
          idempotency_key: IdempotencyKey = None) -> JSONResponse:
    def run() -> TaskDetail:
        task_service.chase(session, actor, task_id, note=body.note)
        return _detail(session, task_service.get_task(session, actor, task_id))

    return idempotent(request, session, actor, idempotency_key, body, run)


@router.post("/tasks/{task_id}/close", response_model=TaskDetail)
def close(task_id: RecordId, body: CloseBody, session: DbSession,
          actor: Annotated[Actor, Depends(require("assessment:task:manage"))]) -> TaskDetail:
    task_service.close(session, actor, task_id, grade=body.grade, note=body.note)
    return _detail(session, task_service.get_task(session, actor, task_id))


# ---------------------------------------------------------------- indicators and targets

@router.get("/indicators", response_model=list[IndicatorRead])
def list_indicators(_: Annotated[Actor, Depends(require("assessment:indicator:read"))]) -> list[IndicatorRead]:
    return [IndicatorRead(code=i.code, label=i.label, label_en=i.label_en, unit=i.unit)
            for i in indicators.INDICATORS.values()]


@router.get("/observations", response_model=list[ObservationRead])
def list_observations(session: DbSession, actor: Annotated[Actor, Depends(require("assessment:indicator:read"))],
                      indicator: Annotated[str, Query(max_length=60)] = "",
                      division: Annotated[str, Query(max_length=12)] = "",
                      period: Annotated[str, Query(max_length=10)] = "") -> list[ObservationRead]:
    if indicator and division and period:
        items = indicators.history(session, actor, indicator=indicator, division=division, period=period)
    else:
        items = indicators.recent(session, actor, indicator=indicator, division=division)
    return [ObservationRead.model_validate(o) for o in items]


@router.post("/observations", response_model=ObservationRead | None, status_code=201)
def record_observation(body: ObservationCreate, session: DbSession,
                       actor: Annotated[Actor, Depends(require("assessment:indicator:write"))]) -> JSONResponse:
    obs = indicators.record(session, actor, indicator=body.indicator, division=body.division_code,
                            period=body.period, value=body.value, note=body.note)
    if obs is None:
        return JSONResponse({"unchanged": True}, status_code=200)
    return JSONResponse(ObservationRead.model_validate(obs).model_dump(mode="json"), status_code=201)


@router.post("/observations/import", responses={422: {"description": "Rows with errors; nothing written"}})
def import_observations(request: Request, file: UploadFile, session: DbSession,
                        actor: Annotated[Actor, Depends(require("assessment:indicator:write"))]) -> JSONResponse:
    content = file.file.read()
    check_size(content, request.app.state.settings.max_upload_bytes)
    report = indicators.import_observations(session, actor, content, file.filename or "")
    body = {"total_rows": report.total_rows, "recorded": report.recorded, "unchanged": report.unchanged,
            "errors": [e.as_dict() for e in report.errors]}
    if not report.ok:
        session.rollback()
        return JSONResponse({"code": "validation_failed", "message": "文件中有错误行，未写入任何数据", **body},
                            status_code=422)
    return JSONResponse(body)


@router.get("/targets", response_model=list[TargetProgressRead])
def target_progress(session: DbSession, _: Annotated[Actor, Depends(require("assessment:indicator:read"))],
                    division: Annotated[str, Query(max_length=12)] = CITY_CODE,
                    year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> list[TargetProgressRead]:
    if division not in indicators.divisions():
        raise ValidationFailed("地区有误", [FieldError("division", "应为丽水市、所辖县（市、区）或开发区的代码")])
    out = []
    for p in targets.progress(session, targets.default_pack(), division, year):
        out.append(TargetProgressRead(
            target=p.target.id, label=p.target.label, indicator=p.target.indicator, division_code=division,
            goal=p.goal, baseline_year=p.baseline[0] if p.baseline else None,
            baseline=p.baseline[1] if p.baseline else None, latest_year=p.latest[0] if p.latest else None,
            latest=p.latest[1] if p.latest else None, latest_is_public_figure=p.public, expected=p.expected,
            forecast=p.forecast, status=p.status))
    return out


# ---------------------------------------------------------------- county assessment

def _card(card: scoring.Scorecard, detail: bool) -> ScorecardRead:
    lines = [ScoreLineRead(indicator=line.item.indicator, rule=line.item.rule, weight=line.item.weight,
                           actual=line.actual, goal=line.goal, points=line.points, note=line.note)
             for line in card.lines] if detail else []
    return ScorecardRead(division_code=card.division, name=card.name, rank=card.rank, total=card.total,
                         previous=card.previous, improvement=card.improvement, lines=lines)


@router.get("/scorecards", response_model=list[ScorecardRead])
def ranking(session: DbSession, actor: Annotated[Actor, Depends(require("assessment:scorecard:read"))],
            year: Annotated[int, Query(ge=2000, le=2100)] = 2017,
            sort: Annotated[str, Query(pattern="^(score|improvement)$")] = "score") -> list[ScorecardRead]:
    """Totals for every jurisdiction; the lines only for the ones the caller may see in detail."""
    own = actor.scope_division if actor.scope == "division" else None
    return [_card(c, actor.scope == "city" or c.division == own) for c in scoring.ranking(session, year, sort)]


@router.get("/scorecards/detail", response_model=ScorecardRead)
def scorecard_detail(session: DbSession, actor: Annotated[Actor, Depends(require("assessment:scorecard:read"))],
                     year: Annotated[int, Query(ge=2000, le=2100)] = 2017,
                     division: Annotated[str, Query(max_length=12)] = "331102") -> ScorecardRead:
    return _card(scoring.scorecard(session, actor, year, division), True)


@router.get("/scheme", response_model=SchemeRead)
def get_scheme(session: DbSession, _: Annotated[Actor, Depends(require("assessment:scorecard:read"))],
               year: Annotated[int, Query(ge=2000, le=2100)] = 2017) -> SchemeRead:
    scheme, items = scoring.current_scheme(session, year)
    return SchemeRead(year=year, version=scheme.version if scheme else 0, name=scheme.name if scheme else "",
                      items=[SchemeItem(**i.as_dict()) for i in items])


@router.put("/scheme", response_model=SchemeRead)
def put_scheme(body: SchemeWrite, session: DbSession,
               actor: Annotated[Actor, Depends(require("assessment:scheme:write"))]) -> SchemeRead:
    scheme = scoring.save_scheme(session, actor, year=body.year, name=body.name,
                                 items=[i.model_dump() for i in body.items])
    _, items = scoring.current_scheme(session, body.year)
    return SchemeRead(year=body.year, version=scheme.version, name=scheme.name,
                      items=[SchemeItem(**i.as_dict()) for i in items])


# ---------------------------------------------------------------- bulletins

@router.get("/bulletins", response_model=list[BulletinRead])
def list_bulletins(session: DbSession,
                   _: Annotated[Actor, Depends(require("assessment:bulletin:read"))]) -> list[BulletinRead]:
    return [BulletinRead.model_validate(b) for b in bulletins.archive(session)]


@router.post("/bulletins", response_model=BulletinRead, status_code=201)
def publish_bulletin(request: Request, body: BulletinBody, session: DbSession,
                     actor: Annotated[Actor, Depends(require("assessment:bulletin:publish"))],
                     idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return idempotent(request, session, actor, idempotency_key, body,
                      lambda: BulletinRead.model_validate(bulletins.publish(session, actor, body.period)))


@router.get("/bulletins/{bulletin_id}", response_model=BulletinDetail)
def get_bulletin(bulletin_id: RecordId, session: DbSession,
                 _: Annotated[Actor, Depends(require("assessment:bulletin:read"))]) -> BulletinDetail:
    import json

    found = bulletins.get(session, bulletin_id)
    return BulletinDetail(**BulletinRead.model_validate(found).model_dump(), content=json.loads(found.content))


@router.get("/bulletins/{bulletin_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "The bulletin as published"}})
def bulletin_pdf(bulletin_id: RecordId, session: DbSession,
                 _: Annotated[Actor, Depends(require("assessment:bulletin:read", rate="export"))]) -> Response:
    found = bulletins.get(session, bulletin_id)
    return Response(found.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="bulletin-{found.id}.pdf"'})
