"""Policy engine JSON API under /api/v1/policy: packs, evaluation with traces, batch runs, facts."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from lishui.core.actor import Actor
from lishui.core.errors import FieldError, NotFound, ValidationFailed
from lishui.core.files import check_size
from lishui.policy import facts as fact_store
from lishui.policy import service
from lishui.policy.models import BatchRun, PackVersion, PolicyFact
from lishui.policy.pack.model import Measure, Pack, Parameter
from lishui.registry import get_organisation
from lishui.web.deps import MAX_ID, DbSession, RecordId, database
from lishui.web.guard import require

router = APIRouter(prefix="/api/v1/policy", tags=["policy"])

Year = Annotated[int, Field(ge=2000, le=2100, description="Calendar year of the period")]
OrgId = Annotated[int, Field(ge=1, le=MAX_ID)]
NoNul = r"^[^\x00]*$"
JsonValue = str | int | bool | list[str] | None


def json_value(value: Any) -> JsonValue:
    """A pack value as JSON: money, rates and ratios as exact decimal strings, never floats."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, Fraction):
        return f"{Decimal(value.numerator) / Decimal(value.denominator):f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [str(json_value(v)) for v in value]
    return str(value)


# ---------------------------------------------------------------- packs

class PublicationRead(BaseModel):
    pack_id: str
    version: str
    content_hash: str
    effective_from: str
    derives_from: str
    published_by: str
    published_at: dt.datetime
    note: str
    files: int


class PublishBody(BaseModel):
    note: str = Field("", max_length=300, description="Why this version is published (shown in its history)")


class PackSummary(BaseModel):
    key: str = Field(description="id@version, used in the other pack routes")
    id: str
    version: str
    title: str
    issuer: str
    document_date: dt.date
    valid_from: dt.date
    valid_to: dt.date | None
    effective_from: dt.date | None
    jurisdictions: list[str]
    derives_from: str
    measures: int
    clauses: int
    parameters: int
    content_hash: str = Field(description="SM3 of the pack's files; a published version keeps this hash")
    publication: PublicationRead | None = Field(description="The published record of this version, if any")
    state: Literal["draft", "published", "altered"] = Field(
        description="draft: not published; published: files match the published hash; altered: they no longer "
                    "do, and evaluation refuses the pack")


class ClauseRead(BaseModel):
    id: str
    title: str
    text: str
    responsible: list[str]
    cooperating: list[str]
    measures: list[str] = Field(description="Measures citing this clause")


class ParameterVersionRead(BaseModel):
    effective_from: dt.date | None
    value: JsonValue
    source: str


class AlternativeRead(BaseModel):
    value: JsonValue
    text: str


class ParameterRead(BaseModel):
    name: str
    label: str
    type: str
    shape: str
    unit: str
    clause: str
    source: str
    description: str
    reading: str
    alternatives: list[AlternativeRead]
    unset: bool
    flag: str
    versions: list[ParameterVersionRead]


class ConditionRead(BaseModel):
    name: str
    label: str
    expression: str
    hint: str


class CapRead(BaseModel):
    kind: str
    label: str
    param: str
    limit: JsonValue


class FundingRead(BaseModel):
    bearer: str
    includes_provincial: bool
    not_duplicated_group: str
    note: str


class ExternalRead(BaseModel):
    reference: str
    param: str
    note: str
    set: bool


class MeasureRead(BaseModel):
    id: str
    title: str
    clauses: list[str]
    summary: str
    beneficiary: str
    beneficiary_kinds: list[str]
    all_counties: bool
    conditions: list[ConditionRead]
    amount_formula: str
    caps: list[CapRead]
    recurrence: str
    budget_line: str
    funding: FundingRead
    evidence: list[str]
    external: ExternalRead | None
    facts: list[str]
    params: list[str]
    notes: str


class BudgetLineRead(BaseModel):
    id: str
    label: str
    amount: JsonValue
    clause: str
    part_of: str


class PackDetail(PackSummary):
    scope_note: str
    validity_note: str
    money_rule: str
    budget_lines: list[BudgetLineRead]
    clause_texts: list[ClauseRead]
    parameter_values: list[ParameterRead]
    measure_details: list[MeasureRead]


def _publication(v: PackVersion) -> PublicationRead:
    return PublicationRead(pack_id=v.pack_id, version=v.version, content_hash=v.content_hash,
                           effective_from=v.effective_from, derives_from=v.derives_from, published_by=v.published_by,
                           published_at=v.published_at, note=v.note, files=len(json.loads(v.sources or "{}")))


def _summary(session: Session, pack: Pack) -> dict[str, Any]:
    published = service.publication(session, pack)
    return {"content_hash": pack.content_hash, "state": service.publication_state(session, pack),
            "publication": _publication(published) if published is not None else None,
            "key": service.pack_key(pack), "id": pack.id, "version": pack.version, "title": pack.title,
            "issuer": pack.issuer, "document_date": pack.document_date, "valid_from": pack.valid_from,
            "valid_to": pack.valid_to, "effective_from": pack.effective_from,
            "jurisdictions": list(pack.jurisdictions), "derives_from": pack.derives_from,
            "measures": len(pack.measures), "clauses": len(pack.clauses), "parameters": len(pack.parameters)}


def _parameter(p: Parameter) -> ParameterRead:
    return ParameterRead(
        name=p.name, label=p.label, type=p.type.value, shape=p.shape.value, unit=p.unit, clause=p.clause,
        source=p.source, description=p.description, reading=p.reading, unset=p.unset, flag=p.flag,
        alternatives=[AlternativeRead(value=json_value(v), text=text) for v, text in p.alternatives],
        versions=[ParameterVersionRead(effective_from=v.effective_from, value=json_value(v.value), source=v.source)
                  for v in p.versions])


def _measure(pack: Pack, m: Measure) -> MeasureRead:
    external = None
    if m.external is not None:
        param = pack.parameters.get(m.external.param)
        external = ExternalRead(reference=m.external.reference, param=m.external.param, note=m.external.note,
                                set=param is not None and not param.unset)
    caps = []
    for cap in m.caps:
        param = pack.parameters.get(cap.param)
        caps.append(CapRead(kind=cap.kind, label=cap.label, param=cap.param,
                            limit=json_value(param.value_on()) if param is not None else None))
    return MeasureRead(
        id=m.id, title=m.title, clauses=list(m.clauses), summary=m.summary, beneficiary=m.beneficiary,
        beneficiary_kinds=list(m.beneficiary_kinds), all_counties=m.all_counties,
        conditions=[ConditionRead(name=c.name, label=c.label, expression=c.source_text, hint=c.hint)
                    for c in m.conditions],
        amount_formula=m.amount_text, caps=caps, recurrence=m.recurrence, budget_line=m.budget_line,
        funding=FundingRead(bearer=m.funding.bearer, includes_provincial=m.funding.includes_provincial,
                            not_duplicated_group=m.funding.not_duplicated_group, note=m.funding.note),
        evidence=list(m.evidence), external=external, facts=list(m.facts), params=list(m.params), notes=m.notes)


@router.get("/packs", response_model=list[PackSummary])
def list_packs(session: DbSession, _: Annotated[Actor, Depends(require("policy:pack:read"))]) -> list[PackSummary]:
    return [PackSummary(**_summary(session, p)) for _, p in sorted(service.packs().items())]


@router.post("/packs/{key}/publish", response_model=PublicationRead)
def publish_pack(key: Annotated[str, Path(max_length=80)], body: PublishBody, session: DbSession,
                 actor: Annotated[Actor, Depends(require("policy:pack:publish"))]) -> PublicationRead:
    """Publish a pack version: its checks and test cases must pass; once published its content is fixed.
    Publishing the same content again returns the existing record."""
    return _publication(service.publish_pack(session, actor, service.get_pack(key), body.note))


@router.get("/publications", response_model=list[PublicationRead])
def list_publications(session: DbSession, _: Annotated[Actor, Depends(require("policy:pack:read"))],
                      pack_id: Annotated[str | None, Query(max_length=50)] = None) -> list[PublicationRead]:
    """Every published pack version, oldest first (immutable records)."""
    return [_publication(v) for v in service.publications(session, pack_id)]


@router.get("/packs/{key}", response_model=PackDetail)
def get_pack(key: Annotated[str, Path(max_length=80)], session: DbSession,
             _: Annotated[Actor, Depends(require("policy:pack:read"))]) -> PackDetail:
    pack = service.get_pack(key)
    lines = []
    for line in pack.budget_lines.values():
        param = pack.parameters.get(line.amount_param)
        lines.append(BudgetLineRead(id=line.id, label=line.label, clause=line.clause, part_of=line.part_of,
                                    amount=json_value(param.value_on()) if param is not None else None))
    return PackDetail(
        **_summary(session, pack), scope_note=pack.scope_note, validity_note=pack.validity_note,
        money_rule=pack.money_rule,
        budget_lines=lines,
        clause_texts=[ClauseRead(id=c.id, title=c.title, text=c.text, responsible=list(c.responsible),
                                 cooperating=list(c.cooperating),
                                 measures=[m.id for m in pack.measures_citing(c.id)]) for c in pack.clauses.values()],
        parameter_values=[_parameter(p) for p in pack.parameters.values()],
        measure_details=[_measure(pack, m) for m in pack.measures.values()])


@router.get("/packs/{key}/measures/{measure}", response_model=MeasureRead)
def get_measure(key: Annotated[str, Path(max_length=80)], measure: Annotated[str, Path(max_length=10)],
                _: Annotated[Actor, Depends(require("policy:pack:read"))]) -> MeasureRead:
    pack = service.get_pack(key)
    found = pack.measures.get(measure)
    if found is None:
        raise NotFound(f"政策包中没有措施 {measure}")
    return _measure(pack, found)


# ---------------------------------------------------------------- evaluation

class EvaluateBody(BaseModel):
    org_id: OrgId
    year: Year
    measure: str | None = Field(default=None, max_length=10, pattern=r"^[A-Za-z0-9_]+$",
                                description="One measure (e.g. M03); all measures when absent")


class ConditionResult(BaseModel):
    name: str
    label: str
    passed: bool
    hint: str
    expr: str
    closable: bool = Field(description="Met, or could still be met this period (false: e.g. already received)")


class CapResult(BaseModel):
    kind: str
    label: str
    param: str
    limit: str
    received: str = Field(description="Already received against this cap (yuan)")
    remaining: str
    before: str
    after: str
    binding: bool
    clause: str


class DeductionResult(BaseModel):
    kind: str
    label: str
    granted: str
    before: str
    after: str


class MeasureResultRead(BaseModel):
    measure: str
    title: str
    status: str = Field(description="eligible | not_eligible | out_of_scope | not_covered | not_beneficiary | "
                                    "external_unset | missing_facts | error")
    status_text: str
    eligible: bool
    near_miss: bool = Field(description="差一点: one condition missed, one the entity could still meet this period")
    amount: str = Field(description="Yuan, exact to the fen, after caps and deductions")
    amount_before_caps: str
    message: str
    conditions: list[ConditionResult]
    caps: list[CapResult]
    deductions: list[DeductionResult]
    missing_facts: list[str]
    parameters: list[dict[str, Any]] = Field(description="Each parameter used, with effective date and clause")
    clauses: list[str]
    trace: dict[str, Any] | None = Field(description="Facts, parameters, formulas and each step, as evaluated")
    explanation: str = Field(description="The readable Chinese explanation")


class EvaluationRead(BaseModel):
    pack: str
    org_id: int
    org_name: str
    year: int
    total_amount: str
    results: list[MeasureResultRead]


@router.post("/evaluate", response_model=EvaluationRead)
def evaluate(body: EvaluateBody, session: DbSession,
             actor: Annotated[Actor, Depends(require("policy:evaluate"))]) -> Response:
    pack, entity, results = service.evaluate_org(session, actor, body.org_id, body.year, measure_id=body.measure)
    total = sum((r.amount for r in results if r.eligible), Decimal("0.00"))
    evaluation = EvaluationRead.model_validate({
        "pack": service.pack_key(pack), "org_id": body.org_id, "org_name": entity.name, "year": body.year,
        "total_amount": str(total),
        "results": [{**r.as_json(), "explanation": service.explain(pack, entity, r)} for r in results]})
    # Validated once (one call for the whole answer) and written to JSON here, in the worker thread: returned as a
    # model, FastAPI would validate it again and serialise it after another trip through the thread pool.
    return Response(evaluation.model_dump_json(), media_type="application/json")


# ---------------------------------------------------------------- batch runs

class BatchBody(BaseModel):
    pack: str = Field(max_length=80, pattern=NoNul, description="A pack key (id@version) or id (latest version)")
    year: Year
    wait: bool = Field(True, description="true: evaluate before answering (201, the result); false: start it in "
                                         "the background (202) and follow GET /batches/{id} (status, stage, progress)")


class MeasureTotal(BaseModel):
    measure: str
    title: str
    budget_line: str
    eligible: int
    amount: str
    near_miss: int
    statuses: dict[str, int]


class BatchRunRead(BaseModel):
    id: int
    pack: str
    year: int
    status: str = Field(description="running | done | failed")
    stage: str = Field(description="loading | evaluating | storing | done | failed")
    progress_done: int = Field(description="Measures evaluated so far")
    progress_total: int
    error: str
    entities: int
    candidates: int
    near_misses: int
    total_amount: str = Field(description="Yuan, exact")
    budget_lines: dict[str, str]
    measures: list[MeasureTotal]
    started_by: str
    started_at: dt.datetime
    finished_at: dt.datetime | None


def _run(run: BatchRun) -> BatchRunRead:
    summary = service.run_summary(run)
    measures = [MeasureTotal(measure=mid, title=s["title"], budget_line=s["budget_line"], eligible=s["eligible"],
                             amount=str(service.decimal_yuan(s["amount_fen"])), near_miss=s["near_miss"],
                             statuses=s["statuses"]) for mid, s in summary.get("measures", {}).items()]
    return BatchRunRead(
        id=run.id, pack=f"{run.pack_id}@{run.pack_version}", year=run.year, status=run.status, stage=run.stage,
        progress_done=run.progress_done, progress_total=run.progress_total, error=run.error, entities=run.entities,
        candidates=run.candidates, near_misses=run.near_misses, total_amount=str(service.decimal_yuan(run.total_fen)),
        budget_lines={k: str(service.decimal_yuan(v)) for k, v in summary.get("budget_lines", {}).items()},
        measures=measures, started_by=run.started_by, started_at=run.started_at, finished_at=run.finished_at)


@router.post("/batches", response_model=BatchRunRead, status_code=201,
             responses={202: {"model": BatchRunRead, "description": "Started in the background (wait=false)"}})
def start_batch(request: Request, body: BatchBody, session: DbSession,
                actor: Annotated[Actor, Depends(require("policy:batch:run"))]) -> BatchRunRead | JSONResponse:
    pack = service.resolve_pack(body.pack)
    if body.year not in service.valid_years(pack):
        raise ValidationFailed(f"{body.year} 年不在《{pack.title}》有效期内",
                               [FieldError("year", "不在政策包有效期内")])
    if body.wait:
        return _run(service.run_batch(session, actor, pack, body.year))
    run = service.start_batch(session, database(request), actor, pack, body.year)
    return JSONResponse(_run(run).model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/api/v1/policy/batches/{run.id}"})


@router.get("/batches/{run_id}", response_model=BatchRunRead)
def get_batch(run_id: RecordId, session: DbSession,
              actor: Annotated[Actor, Depends(require("policy:batch:read"))]) -> BatchRunRead:
    return _run(service.get_run(session, actor, run_id))


class CandidateRead(BaseModel):
    org_id: int
    org_name: str
    uscc: str
    division_code: str
    measure: str
    kind: str = Field(description="eligible | near_miss")
    amount: str
    missing_condition: str = Field(description="For a near miss: what the organisation would need")


@router.get("/batches/{run_id}/candidates", response_model=list[CandidateRead])
def batch_candidates(run_id: RecordId, session: DbSession,
                     actor: Annotated[Actor, Depends(require("policy:batch:read"))],
                     kind: Literal["eligible", "near_miss"] = "eligible",
                     measure: Annotated[str, Query(max_length=10)] = "",
                     limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[CandidateRead]:
    run = service.get_run(session, actor, run_id)
    return [CandidateRead(org_id=o.id, org_name=o.name, uscc=o.uscc, division_code=o.division_code,
                          measure=c.measure_id, kind=c.kind, amount=str(service.decimal_yuan(c.amount_fen)),
                          missing_condition=c.missing_condition)
            for c, o in service.run_candidates(session, actor, run, kind, measure, limit=limit)]


# ---------------------------------------------------------------- facts

class FactBody(BaseModel):
    org_id: OrgId
    year: Year
    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    value: str = Field(min_length=1, max_length=100, pattern=NoNul,
                       description="Money in yuan (e.g. 60000.00), true/false or 是/否, YYYY-MM-DD, decimals")
    note: str = Field(default="", max_length=300, pattern=NoNul)


class FactRevisionRead(BaseModel):
    name: str
    value: str
    revision: int
    source: str
    note: str
    recorded_by: str
    recorded_at: dt.datetime


class FactValueRead(BaseModel):
    name: str
    label: str
    type: str
    unit: str
    domain: str
    value: str | None = Field(description="Canonical text: 12345.67 / 3 / true / 2016-03-01")
    origin: str = Field(description="provider | period | table | default | '' (not known)")
    provider: str
    revision: int | None


class FactSheetRead(BaseModel):
    org_id: int
    org_name: str
    year: int
    pack: str | None
    facts: list[FactValueRead]
    history: list[FactRevisionRead]


def _revision(f: PolicyFact) -> FactRevisionRead:
    return FactRevisionRead(name=f.name, value=f.value, revision=f.revision, source=f.source, note=f.note,
                            recorded_by=f.recorded_by, recorded_at=f.recorded_at)


class FactImportRead(BaseModel):
    total_rows: int
    recorded: int = Field(description="New revisions written")
    unchanged: int = Field(description="Cells equal to the value already recorded: nothing written")
    organisations: int


@router.post("/facts/import", response_model=FactImportRead,
             responses={422: {"description": "Row/column errors (`fields`, each with row and column); nothing "
                                            "was stored"}})
def import_facts(request: Request, file: UploadFile, session: DbSession,
                 actor: Annotated[Actor, Depends(require("policy:fact:write"))]) -> FactImportRead | JSONResponse:
    """Record facts from an .xlsx or .csv file (统一社会信用代码, 年度, one column per fact; the template is at
    /policy/facts/template). All or nothing: any bad row or cell and nothing is stored; each is named by row and
    column. Values equal to those recorded write no revision, so sending the same file twice changes nothing."""
    content = file.file.read()
    check_size(content, request.app.state.settings.max_upload_bytes)
    report = fact_store.import_facts(session, actor, service.fact_symbols(), content, (file.filename or "")[:200])
    if not report.ok:
        session.rollback()
        more = "（仅列出前若干个错误）" if report.truncated else ""
        return JSONResponse({"code": "validation_failed", "message": f"文件中有错误，未写入任何数据{more}",
                             "fields": [e.as_dict() for e in report.errors]}, status_code=422)
    return FactImportRead(total_rows=report.total_rows, recorded=report.recorded, unchanged=report.unchanged,
                          organisations=report.organisations)


@router.post("/facts", response_model=FactRevisionRead, status_code=201)
def record_fact(body: FactBody, session: DbSession,
                actor: Annotated[Actor, Depends(require("policy:fact:write"))]) -> FactRevisionRead:
    return _revision(fact_store.record_typed_fact(session, actor, service.fact_symbols(), org_id=body.org_id,
                                                  year=body.year, name=body.name, value=body.value, note=body.note))


@router.get("/facts", response_model=FactSheetRead)
def list_facts(session: DbSession, actor: Annotated[Actor, Depends(require("policy:fact:read"))],
               org_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Default: your organisation")] = None,
               year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> FactSheetRead:
    org_id = org_id or actor.org_id
    if org_id is None:
        raise ValidationFailed("请指定机构", [FieldError("org_id", "请指定机构")])
    year = year or service.default_year(session)
    org = get_organisation(session, actor, org_id)
    try:
        pack: Pack | None = service.pack_in_force(year, org.division_code, service.published_keys(session))
    except NotFound:
        pack = None
    infos = pack.facts if pack is not None else service.fact_catalogue()
    rows = fact_store.fact_sheet(session, actor, infos, pack.fact_defaults() if pack else {}, org.id, year)
    return FactSheetRead(
        org_id=org.id, org_name=org.name, year=year, pack=service.pack_key(pack) if pack else None,
        facts=[FactValueRead(name=r.name, label=r.label, type=r.type.value, unit=r.unit, domain=r.domain,
                             value=fact_store.canonical(r.value) if r.value is not None else None, origin=r.origin,
                             provider=r.provider, revision=r.history[0].revision if r.history else None)
               for r in rows],
        history=[_revision(f) for r in rows for f in r.history])
