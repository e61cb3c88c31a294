"""Policy pages: pack browser and parameter history, explanations, batch runs (免申即享), facts, the calculator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lishui.core import clock
from lishui.core.actor import Actor
from lishui.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from lishui.core.i18n import pick
from lishui.core.tabular import write_xlsx
from lishui.policy import facts as fact_store
from lishui.policy import service
from lishui.policy.engine import STATUS_ZH, MeasureResult, as_of, provincial_fact, received_fact
from lishui.policy.lang import ParamShape, Type
from lishui.policy.pack.model import Measure, Pack, Parameter
from lishui.registry import CITY_CODE, COUNTIES, ORG_KINDS, ZONE_CODE, get_organisation
from lishui.registry.vocab import ORG_KINDS_EN
from lishui.web.deps import DbSession, PostedForm, RecordId, database
from lishui.web.downloads import XLSX, table_download
from lishui.web.guard import public, require
from lishui.web.imports import run_import
from lishui.web.nav import NavEntry, register
from lishui.web.templating import language, render

router = APIRouter(include_in_schema=False)

SECTION = "政策兑现"
register(NavEntry(SECTION, "政策包", "Policy packs", "/policy/packs", "policy:pack:read", order=200))
register(NavEntry(SECTION, "政策测算与说明", "Evaluate and explain", "/policy/evaluate", "policy:evaluate", order=210))
register(NavEntry(SECTION, "免申即享批量测算", "Batch runs", "/policy/batch", "policy:batch:read", order=220))
register(NavEntry(SECTION, "政策事实", "Facts", "/policy/facts", "policy:fact:read", order=230))
register(NavEntry(SECTION, "事实导入", "Import facts", "/policy/facts/import", "policy:fact:write", order=240))
register(NavEntry(SECTION, "政策计算器", "Policy calculator", "/calculator", None, order=250))

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
OrgQuery = Annotated[int | None, Query(ge=1, le=2_147_483_647)]

# ---------------------------------------------------------------- words for the pack's vocabulary

STATUS_EN = {
    "eligible": "Eligible", "not_eligible": "Not eligible", "out_of_scope": "Out of scope",
    "not_covered": "Not covered (validity)", "not_beneficiary": "Not a beneficiary",
    "external_unset": "Set by an external rule", "missing_facts": "Facts missing", "error": "Error",
}
STATUS_CLASS = {
    "eligible": "badge-ok", "not_eligible": "badge-bad", "missing_facts": "badge-warn", "external_unset": "badge-warn",
    "error": "badge-bad", "out_of_scope": "badge-muted", "not_covered": "badge-muted", "not_beneficiary": "badge-muted",
}
# Statuses that say the measure does not concern the entity at all (shown folded away).
NOT_RELEVANT = ("not_beneficiary", "out_of_scope", "not_covered")
CALC_ORDER = ("eligible", "not_eligible", "missing_facts", "external_unset", "error", "out_of_scope", "not_covered")
# The calculator speaks to applicants: "may qualify", not "eligible".
CALC_STATUS = {
    "eligible": ("可能符合", "May qualify"), "not_eligible": ("暂不符合", "Does not qualify yet"),
    "missing_facts": ("信息不全", "More answers needed"), "external_unset": ("按其他规定确定", "Set by another rule"),
    "out_of_scope": ("不适用本政策", "Another pack applies"), "not_covered": ("不在有效期内", "Outside validity"),
    "not_beneficiary": ("不是支持对象", "Not a beneficiary"), "error": ("无法计算", "Cannot compute"),
}
RECURRENCE = {"one_time": ("一次性", "One time"), "yearly": ("每年", "Yearly"),
              "per_asset": ("按资产（园区、中心、站点、软件）一次", "Once per asset"),
              "per_claim": ("按笔申报", "Per claim")}
CAP_KIND = {"per_claim": ("每笔", "Per claim"), "per_year": ("每年", "Per year"),
            "lifetime": ("累计", "Lifetime"), "per_asset": ("每项资产", "Per asset")}
BEARER = {"city": ("市级财政承担", "City finance"), "shared": ("按财政体制分担", "Shared per the fiscal split")}
DOMAIN = {
    "period": ("申报年度", "Period"), "registry": ("主体登记", "Registry"), "stats": ("统计监测", "Statistics"),
    "funds": ("专项资金与申报材料", "Funds and claims"), "stations": ("服务站点", "Service stations"),
    "logistics": ("物流仓储", "Logistics"), "credit": ("金融信贷", "Credit"), "talent": ("人才培训与就业", "Talent"),
    "marketplace": ("公共服务平台", "Marketplace"), "regulation": ("市场监管", "Regulation"), "": ("其他", "Other"),
}
ORIGIN = {"provider": ("登记系统", "Registry"), "period": ("申报年度", "Period"), "table": ("事实表", "Facts table"),
          "default": ("默认值", "Default"), "": ("未填", "Not given")}
PERSON_KIND = ("个人", "Person")


def _t(request: Request) -> Any:
    lang = language(request)
    return lambda zh, en: pick(lang, zh, en)


def division_options() -> list[tuple[str, str]]:
    """Where an organisation may be: the city's own units, the nine counties, the development zone."""
    return [(CITY_CODE, "市直"), *COUNTIES.items(), (ZONE_CODE, "丽水经济技术开发区")]


def kind_label(kind: str) -> str:
    return ORG_KINDS.get(kind, PERSON_KIND[0] if kind == "person" else kind)


def fmt_money(value: Any) -> str:
    return f"{Decimal(str(value)):,.2f}"


def fmt_value(value: Any, type_: Type | None = None, unit: str = "") -> str:
    """A fact or parameter value as people read it: 是/否, 12,345.00 元, 70%, 2016-03-01."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, tuple | list):
        return "、".join(f"第{i}年 {fmt_value(v, type_, unit)}" for i, v in enumerate(value, start=1))
    if isinstance(value, dt.date):
        return value.isoformat()
    if type_ is Type.MONEY:
        return f"{fmt_money(value)} 元"
    if type_ is Type.DECIMAL and isinstance(value, Decimal | Fraction | int) and unit in ("比例", "年利率"):
        percent = Decimal(str(Fraction(value).numerator)) / Decimal(str(Fraction(value).denominator)) * 100
        return f"{percent.normalize():f}%"
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    text = f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)
    return f"{text} {unit}" if unit and unit not in ("比例",) else text


def measure_view(pack: Pack, measure: Measure) -> dict[str, Any]:
    """What the pack browser shows of a measure, with caps and the external rule resolved to values."""
    caps = []
    for cap in measure.caps:
        param = pack.parameters.get(cap.param)
        caps.append({"cap": cap, "kind": CAP_KIND.get(cap.kind, (cap.kind, cap.kind)),
                     "limit": fmt_value(param.value_on(), param.type, param.unit) if param else "—"})
    external = None
    if measure.external is not None:
        param = pack.parameters.get(measure.external.param)
        external = {"ext": measure.external, "unset": param is None or param.unset,
                    "value": fmt_value(param.value_on(), param.type, param.unit) if param and not param.unset else ""}
    line = pack.budget_lines.get(measure.budget_line)
    return {
        "m": measure, "caps": caps, "external": external,
        "recurrence": RECURRENCE.get(measure.recurrence, (measure.recurrence, measure.recurrence)),
        "budget_line": line.label if line is not None else ("不列支" if measure.budget_line == "none"
                                                            else measure.budget_line),
        "bearer": BEARER.get(measure.funding.bearer, (measure.funding.bearer, measure.funding.bearer)),
        "kinds": [kind_label(k) for k in measure.beneficiary_kinds],
        "facts": [(f, pack.facts[f].label if f in pack.facts else f) for f in measure.facts],
    }


def _pack_or_404(key: str) -> Pack:
    return service.get_pack(key[:80])


# ---------------------------------------------------------------- pack browser

@router.get("/policy/packs", response_class=HTMLResponse)
def pack_list(request: Request, session: DbSession,
              _: Annotated[Actor, Depends(require("policy:pack:read"))]) -> Response:
    today = clock.today()
    items = []
    for key, pack in sorted(service.packs().items(), key=lambda kv: (bool(kv[1].derives_from), kv[0])):
        in_force = pack.valid_from <= today and (pack.valid_to is None or today <= pack.valid_to)
        items.append({"key": key, "pack": pack, "in_force": in_force,
                      "state": service.publication_state(session, pack),
                      "places": [pack.jurisdiction_names.get(c, c) for c in pack.jurisdictions]})
    return render(request, "policy/packs.html", {"items": items, "states": service.PUBLICATION_STATES})


@router.post("/policy/packs/{key}/publish", response_class=HTMLResponse)
def pack_publish(request: Request, key: str, session: DbSession, raw: PostedForm,
                 actor: Annotated[Actor, Depends(require("policy:pack:publish"))]) -> Response:
    pack = _pack_or_404(key)
    try:
        service.publish_pack(session, actor, pack, str(raw.get("note", ""))[:300])
    except DomainError as exc:
        if exc.status == 403:
            raise
        session.rollback()
        return _pack_page(request, session, key, publish_error=exc.message, status=exc.status)
    return RedirectResponse(f"/policy/packs/{quote(key)}?ok=published", status_code=303)


@router.get("/policy/packs/{key}", response_class=HTMLResponse)
def pack_detail(request: Request, key: str, session: DbSession,
                _: Annotated[Actor, Depends(require("policy:pack:read"))]) -> Response:
    return _pack_page(request, session, key)


def _pack_page(request: Request, session: Session, key: str, *, publish_error: str = "", status: int = 200
               ) -> Response:
    pack = _pack_or_404(key)
    clauses = [(clause, pack.measures_citing(cid)) for cid, clause in pack.clauses.items()]
    lines = []
    for line in pack.budget_lines.values():
        param = pack.parameters.get(line.amount_param)
        lines.append({"line": line, "amount": fmt_value(param.value_on(), param.type, param.unit) if param else "—"})
    params = sorted(pack.parameters.values(), key=lambda p: (p.clause == "", p.name))
    return render(request, "policy/pack.html", {
        "key": key, "pack": pack, "clauses": clauses, "lines": lines, "params": params,
        "measures": [measure_view(pack, m) for m in pack.measures.values()],
        "places": [(c, pack.jurisdiction_names.get(c, c)) for c in pack.jurisdictions],
        "fmt_value": fmt_value, "parent": next((k for k, p in service.packs().items() if p.id == pack.derives_from),
                                               ""),
        "state": service.publication_state(session, pack), "states": service.PUBLICATION_STATES,
        "published": service.publication(session, pack), "publish_error": publish_error,
        "history": service.publications(session, pack.id),
    }, status=status)


@router.get("/policy/packs/{key}/params/{name}", response_class=HTMLResponse)
def param_history(request: Request, key: str, name: str,
                  _: Annotated[Actor, Depends(require("policy:pack:read"))]) -> Response:
    pack = _pack_or_404(key)
    param = pack.parameters.get(name[:80])
    if param is None:
        raise NotFound(f"政策包中没有参数“{name[:80]}”")
    return render(request, "policy/param.html", {
        "key": key, "pack": pack, "p": param, "rows": _versions(param), "fmt_value": fmt_value,
        "clause": pack.clauses.get(param.clause),
        "used_by": [m for m in pack.measures.values() if param.name in m.params],
        "alternatives": [(fmt_value(v, param.type, param.unit), text) for v, text in param.alternatives],
        "shape": {ParamShape.VALUE: ("单一取值", "Single value"), ParamShape.DATED: ("按生效日期取值", "Dated"),
                  ParamShape.SCHEDULE: ("按年度时间表取值", "Year schedule")}[param.shape],
    })


def _versions(param: Parameter) -> list[dict[str, Any]]:
    """Each dated value with the day it took effect and the day the next one replaced it."""
    today = clock.today()
    current = param.value_on(today) if param.shape is ParamShape.DATED else None
    rows: list[dict[str, Any]] = []
    versions = list(param.versions)
    for i, v in enumerate(versions):
        following = versions[i + 1].effective_from if i + 1 < len(versions) else None
        until = following - dt.timedelta(days=1) if following is not None else None
        if param.shape is ParamShape.SCHEDULE:
            for year, value in enumerate(v.value, start=1):
                rows.append({"label": f"第 {year} 年", "value": fmt_value(value, param.type, param.unit),
                             "from": None, "until": None, "source": v.source, "current": False})
            continue
        in_force = (param.shape is ParamShape.DATED and v.effective_from is not None and v.effective_from <= today
                    and (until is None or today <= until) and v.value == current)
        rows.append({"label": "", "value": fmt_value(v.value, param.type, param.unit), "from": v.effective_from,
                     "until": until, "source": v.source, "current": in_force})
    return rows


# ---------------------------------------------------------------- explanations

def _years() -> list[int]:
    return sorted({y for p in service.packs().values() for y in service.valid_years(p)})


def _result_view(result: MeasureResult) -> dict[str, Any]:
    return {"r": result, "status_zh": STATUS_ZH[result.status], "status_en": STATUS_EN[result.status],
            "cls": STATUS_CLASS[result.status]}


@router.get("/policy/evaluate", response_class=HTMLResponse)
def evaluate_page(request: Request, session: DbSession, actor: Annotated[Actor, Depends(require("policy:evaluate"))],
                  org_id: OrgQuery = None, year: YearQuery = None,
                  measure: Annotated[str, Query(max_length=10)] = "",
                  q: Annotated[str, Query(max_length=100)] = "") -> Response:
    if org_id is None and actor.scope == "org":
        org_id = actor.org_id
    year = year or service.default_year(session)
    context: dict[str, Any] = {"org": None, "year": year, "years": _years(), "q": q, "measure": measure,
                               "found": service.find_organisations(session, actor, q) if q else [],
                               "fmt_value": fmt_value, "fmt_money": fmt_money, "message": "", "detail": None,
                               "pack": None}
    if org_id is None:
        return render(request, "policy/evaluate.html", context)
    org = get_organisation(session, actor, org_id)  # 404 outside the actor's scope, before anything else
    context["org"] = org
    in_force = _facts_pack(session, year, org.division_code)
    if in_force is None:
        context["message"] = pick(language(request), f"{year} 年没有适用于该机构所在地的有效政策包",
                                  f"No policy pack in force in {year} covers where this organisation is")
        return render(request, "policy/evaluate.html", context, status=422)
    pack, entity, results = service.evaluate_org(session, actor, org.id, year, pack=in_force,
                                                 measure_id=measure or None)
    views = [_result_view(r) for r in results]
    context.update({
        "pack": pack, "pack_key": service.pack_key(pack), "entity": entity,
        "relevant": sorted((v for v in views if v["r"].status not in NOT_RELEVANT),
                           key=lambda v: CALC_ORDER.index(v["r"].status)),
        "others": [v for v in views if v["r"].status in NOT_RELEVANT],
        "total": sum((r.amount for r in results if r.eligible), Decimal("0.00")),
        "detail": _detail(pack, entity, results[0], year) if measure else None,
    })
    return render(request, "policy/evaluate.html", context, headers={"Cache-Control": "no-store"})


def _detail(pack: Pack, entity: Any, result: MeasureResult, year: int) -> dict[str, Any]:
    """One measure's full explanation: facts used, parameters with their dates and clauses, the text."""
    trace = result.trace or {}
    facts = []
    for item in trace.get("facts", []):
        info = pack.facts.get(item.get("name", ""))
        type_ = info.type if info else None
        facts.append({"name": item.get("name", ""), "label": info.label if info else item.get("label", ""),
                      "value": fmt_value(_typed(item.get("value"), type_), type_, info.unit if info else "")})
    measure = pack.measures[result.measure_id]
    return {**_result_view(result), "measure": measure, "facts": facts,
            "params": _params_table(pack, measure, result, year),
            "explanation": service.explain(pack, entity, result),
            "clauses": [pack.clauses[c] for c in result.clauses if c in pack.clauses]}


def _typed(value: Any, type_: Type | None) -> Any:
    """A value from a JSON trace back in its type, for display."""
    if not isinstance(value, str):
        return value
    try:
        if type_ in (Type.MONEY, Type.DECIMAL):
            return Decimal(value)
        if type_ is Type.INTEGER:
            return int(value)
        if type_ is Type.DATE:
            return dt.date.fromisoformat(value)
    except (ArithmeticError, ValueError):
        return value
    return value


def _params_table(pack: Pack, measure: Measure, result: MeasureResult, year: int) -> list[dict[str, Any]]:
    """Every parameter of the measure (its conditions, formula and caps) with the value used, the date that
    value took effect and its clause; dated parameters read on a fact's date show that date."""
    read = {p["name"]: p for p in result.parameters}
    names = dict.fromkeys([*read, *measure.params, *(c.param for c in measure.caps)])
    on = as_of(pack, year)
    rows = []
    for name in names:
        meta = pack.parameters.get(name)
        if meta is None:
            continue
        entry = read.get(name, {})
        row = {"name": name, "label": meta.label, "clause": meta.clause, "source": meta.source, "used": bool(entry),
               "effective_from": None, "on": None, "value": "—"}
        if meta.unset:
            row["value"] = "（尚未设定）"
        elif meta.shape is ParamShape.DATED:
            when = dt.date.fromisoformat(entry["on"]) if entry.get("on") else on
            version = max((v for v in meta.versions if v.effective_from and v.effective_from <= when),
                          key=lambda v: v.effective_from or when, default=None)
            row.update({"on": when, "effective_from": version.effective_from if version else None,
                        "value": fmt_value(version.value, meta.type, meta.unit) if version else "（尚未生效）"})
        elif meta.shape is ParamShape.SCHEDULE:
            values = meta.value_on()
            whole = " / ".join(fmt_value(v, meta.type, meta.unit) for v in values)
            k = entry.get("year")
            if isinstance(k, int) and 1 <= k <= len(values):
                row["value"] = f"第 {k} 年 {fmt_value(values[k - 1], meta.type, meta.unit)}（{whole}）"
            else:
                row["value"] = whole
        else:
            row["value"] = fmt_value(meta.value_on(), meta.type, meta.unit)
        rows.append(row)
    return rows


# ---------------------------------------------------------------- batch runs (免申即享)

def _batch_page(request: Request, session: Any, actor: Actor, form: dict[str, str], message: str,
                status: int = 200) -> Response:
    keys = sorted(service.packs(), key=lambda k: (bool(service.packs()[k].derives_from), k))
    return render(request, "policy/batch.html", {
        "runs": service.visible_runs(session, actor), "pack_keys": [(k, service.packs()[k].title) for k in keys],
        "years": _years(), "form": form, "message": message, "fmt_money": fmt_money,
        "decimal_yuan": service.decimal_yuan,
    }, status=status)


@router.get("/policy/batch", response_class=HTMLResponse)
def batch_page(request: Request, session: DbSession,
               actor: Annotated[Actor, Depends(require("policy:batch:read"))]) -> Response:
    year = service.default_year(session)
    # A county's officers start from the pack in force in their county (its own pack, if it has one).
    default = _facts_pack(session, year, actor.scope_division or CITY_CODE) or next(iter(service.packs().values()))
    return _batch_page(request, session, actor, {"pack": service.pack_key(default), "year": str(year)}, "")


@router.post("/policy/batch", response_class=HTMLResponse)
def batch_start(request: Request, session: DbSession, raw: PostedForm,
                actor: Annotated[Actor, Depends(require("policy:batch:run"))]) -> Response:
    form = {k: str(raw.get(k, ""))[:80] for k in ("pack", "year")}
    try:
        pack = service.resolve_pack(form["pack"]) if form["pack"] else None
        if pack is None:
            raise ValidationFailed("请选择政策包", [FieldError("pack", "请选择政策包")])
        year = _year_in(pack, form["year"])
        run = service.start_batch(session, database(request), actor, pack, year)
    except DomainError as exc:
        if exc.status == 403:
            raise
        session.rollback()
        return _batch_page(request, session, actor, form, exc.message, status=exc.status)
    return RedirectResponse(f"/policy/batch/{run.id}", status_code=303)


def _year_in(pack: Pack, text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise ValidationFailed("请选择年度", [FieldError("year", "请选择年度")]) from None
    if year not in service.valid_years(pack):
        until = pack.valid_to.isoformat() if pack.valid_to else "长期"
        raise ValidationFailed(f"{year} 年不在《{pack.title}》有效期（{pack.valid_from.isoformat()} 至 {until}）内",
                               [FieldError("year", "不在政策包有效期内")])
    return year


@router.get("/policy/batch/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: RecordId, session: DbSession,
             actor: Annotated[Actor, Depends(require("policy:batch:read"))],
             measure: Annotated[str, Query(max_length=10)] = "") -> Response:
    run = service.get_run(session, actor, run_id)
    summary = service.run_summary(run)
    pack = service.packs().get(f"{run.pack_id}@{run.pack_version}")
    if run.status != "done":
        return render(request, "policy/run_progress.html", {"run": run, "pack": pack},
                      headers={"Cache-Control": "no-store"})
    lines = []
    for line_id, fen in summary.get("budget_lines", {}).items():
        info = pack.budget_lines.get(line_id) if pack else None
        param = pack.parameters.get(info.amount_param) if pack and info else None
        fund = param.value_on() if param is not None and not param.unset else None
        share = (Decimal(fen) / 100 / Decimal(fund) * 100).quantize(Decimal("0.1")) if fund else None
        lines.append({"id": line_id, "label": info.label if info else line_id, "amount": service.decimal_yuan(fen),
                      "fund": fund, "share": share})
    measure = measure if measure in summary.get("measures", {}) else ""
    return render(request, "policy/run.html", {
        "run": run, "summary": summary, "lines": lines, "pack": pack, "measure": measure,
        "candidates": service.run_candidates(session, actor, run, "eligible", measure, limit=300),
        "near": service.run_candidates(session, actor, run, "near_miss", measure, limit=300),
        "decimal_yuan": service.decimal_yuan, "fmt_money": fmt_money,
        "names": dict(division_options()), "kind_label": kind_label,
    }, headers={"Cache-Control": "no-store"})


@router.get("/policy/batch/{run_id}/progress", response_class=HTMLResponse)
def run_progress(request: Request, run_id: RecordId, session: DbSession,
                 actor: Annotated[Actor, Depends(require("policy:batch:read"))]) -> Response:
    """The progress fragment a running batch's page polls; once done, htmx is sent on to the results."""
    run = service.get_run(session, actor, run_id)
    headers = {"Cache-Control": "no-store"}
    if run.status == "done":
        headers["HX-Redirect"] = f"/policy/batch/{run.id}?ok=batch_done"
    return render(request, "policy/_run_progress.html", {"run": run}, headers=headers)


@router.get("/policy/batch/{run_id}/export")
def run_export(run_id: RecordId, session: DbSession,
               actor: Annotated[Actor, Depends(require("policy:batch:read", rate="export"))]) -> Response:
    run = service.get_run(session, actor, run_id)
    headers, rows = service.export_rows(session, actor, run, service.packs().get(f"{run.pack_id}@{run.pack_version}"))
    name = f"policy-batch-{run.id}-{run.year}.xlsx"
    return Response(write_xlsx(headers, rows, f"免申即享测算{run.id}"), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# ---------------------------------------------------------------- facts

def _facts_pack(session: Session, year: int, division: str) -> Pack | None:
    try:
        return service.pack_in_force(year, division, service.published_keys(session))
    except DomainError:
        return None


def _facts_page(request: Request, session: Any, actor: Actor, org_id: int | None, year: int, q: str,
                form: dict[str, str], errors: dict[str, str], message: str, status: int = 200) -> Response:
    context: dict[str, Any] = {"org": None, "year": year, "years": _years(), "q": q, "form": form, "errors": errors,
                               "message": message, "fmt_value": fmt_value, "origins": ORIGIN, "pack": None,
                               "found": service.find_organisations(session, actor, q) if q else []}
    if org_id is not None:
        org = get_organisation(session, actor, org_id)
        pack = _facts_pack(session, year, org.division_code)
        infos = pack.facts if pack is not None else service.fact_catalogue()
        defaults = pack.fact_defaults() if pack is not None else {}
        rows = fact_store.fact_sheet(session, actor, infos, defaults, org.id, year)
        groups: dict[str, list[Any]] = {}
        for row in rows:
            if row.origin:
                groups.setdefault(row.domain if row.domain in DOMAIN else "", []).append(row)
        provided = fact_store.provided_names()
        context.update({
            "org": org, "pack": pack, "pack_key": service.pack_key(pack) if pack else "",
            "groups": [(DOMAIN[d], groups[d]) for d in DOMAIN if d in groups],
            "recordable": [(n, i.label) for n, i in service.fact_catalogue().items() if n not in provided],
            "unknown": [(row, DOMAIN.get(row.domain, DOMAIN[""])) for row in rows if not row.origin],
        })
    return render(request, "policy/facts.html", context, status=status, headers={"Cache-Control": "no-store"})


@router.get("/policy/facts", response_class=HTMLResponse)
def facts_page(request: Request, session: DbSession, actor: Annotated[Actor, Depends(require("policy:fact:read"))],
               org_id: OrgQuery = None, year: YearQuery = None,
               q: Annotated[str, Query(max_length=100)] = "") -> Response:
    if org_id is None and actor.scope == "org":
        org_id = actor.org_id
    return _facts_page(request, session, actor, org_id, year or service.default_year(session), q, {}, {}, "")


@router.post("/policy/facts", response_class=HTMLResponse)
def fact_record(request: Request, session: DbSession, raw: PostedForm,
                actor: Annotated[Actor, Depends(require("policy:fact:write"))]) -> Response:
    form = {k: str(raw.get(k, ""))[:300] for k in ("org_id", "year", "name", "value", "note")}
    try:
        org_id = int(form["org_id"])
        year = int(form["year"])
    except ValueError:
        raise ValidationFailed("请选择机构和年度", [FieldError("org_id", "请选择机构和年度")]) from None
    try:
        fact = fact_store.record_typed_fact(session, actor, service.fact_symbols(), org_id=org_id, year=year,
                                            name=form["name"], value=form["value"], note=form["note"])
    except DomainError as exc:
        if exc.status == 404:
            raise
        session.rollback()
        errors = {f.field: f.message for f in exc.fields}
        return _facts_page(request, session, actor, org_id, year, "", form, errors, exc.message, status=exc.status)
    query = urlencode({"org_id": org_id, "year": year, "ok": "fact_recorded"})
    return RedirectResponse(f"/policy/facts?{query}#fact-{fact.name}", status_code=303)


def _import_page(request: Request, report: fact_store.FactImportReport | None, filename: str, message: str = "",
                 fields: list[FieldError] | None = None, status: int = 200) -> Response:
    catalogue = service.fact_catalogue()
    provided = fact_store.provided_names()
    groups: dict[str, list[Any]] = {}
    for name, info in catalogue.items():
        if name not in provided:
            groups.setdefault(info.domain if info.domain in DOMAIN else "", []).append(
                (name, info, fact_store.type_hint(info.type)))
    return render(request, "policy/facts_import.html", {
        "report": report, "filename": filename, "message": message, "fields": fields or [],
        "groups": [(DOMAIN[d], groups[d]) for d in DOMAIN if d in groups],
    }, status=status)


@router.get("/policy/facts/import", response_class=HTMLResponse)
def facts_import_page(request: Request, _: Annotated[Actor, Depends(require("policy:fact:write"))]) -> Response:
    return _import_page(request, None, "")


@router.post("/policy/facts/import", response_class=HTMLResponse)
def facts_import(request: Request, session: DbSession,
                 actor: Annotated[Actor, Depends(require("policy:fact:write"))], file: UploadFile) -> Response:
    return run_import(request, session, file,
                      lambda content, name: fact_store.import_facts(session, actor, service.fact_symbols(), content,
                                                                     name), _import_page)


@router.get("/policy/facts/template")
def facts_template(_: Annotated[Actor, Depends(require("policy:fact:write"))], format: str = "xlsx") -> Response:
    headers, rows = fact_store.template_rows(service.fact_symbols())
    return table_download(headers, rows, name="policy-facts-template", format=format, sheet="政策事实导入模板")


# ---------------------------------------------------------------- the public policy calculator

CALC_FIELDS = ("kind", "division", "year", "go", "profile")


def _calc_pack(session: Session, year: int, division: str) -> Pack:
    return service.pack_in_force(year, division, service.published_keys(session))


def _calc_pack_or_none(session: Session, year: int, division: str) -> Pack | None:
    try:
        return _calc_pack(session, year, division)
    except DomainError:
        return None


def _questionnaire(pack: Pack, kind: str) -> tuple[list[Measure], list[str], dict[str, list[str]]]:
    """The measures a kind of applicant may receive, the facts two or more of them share (asked once, first),
    and each measure's own remaining facts. Facts the period answers are never asked."""
    period = fact_store.period_facts(2000)
    measures = [m for m in pack.measures.values() if not m.beneficiary_kinds or kind in m.beneficiary_kinds]
    asks = {m.id: [f for f in (*m.facts, *_already_received(pack, m)) if f not in period] for m in measures}
    uses: dict[str, int] = {}
    for m in measures:
        for f in dict.fromkeys(asks[m.id]):
            uses[f] = uses.get(f, 0) + 1
    shared = [f for f, n in uses.items() if n > 1]
    own = {m.id: [f for f in dict.fromkeys(asks[m.id]) if uses.get(f, 0) == 1] for m in measures}
    return measures, shared, own


def _already_received(pack: Pack, measure: Measure) -> list[str]:
    """The facts a measure's caps and provincial deduction read (what was already received), when declared."""
    kinds = {"per_year": "year", "lifetime": "lifetime", "per_asset": "asset"}
    names = [received_fact(measure.id, kinds[c.kind]) for c in measure.caps if c.kind in kinds]
    if measure.funding.includes_provincial:
        names.append(provincial_fact(measure.id))
    return [n for n in names if n in pack.facts]


def _answer_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return fact_store.canonical(value)


@router.get("/calculator", response_class=HTMLResponse)
def calculator(request: Request, session: DbSession, actor: Annotated[Actor | None, Depends(public())]) -> Response:
    params = request.query_params
    t = _t(request)
    years = _years()
    kinds = _kinds()
    kind = params.get("kind", "enterprise")[:30]
    kind = kind if kind in {k[0] for k in kinds} else "enterprise"
    division = params.get("division", "331102")[:12]
    division = division if division in dict(division_options()) else "331102"
    can_profile = actor is not None and actor.scope == "org" and actor.org_id is not None \
        and actor.can("policy:evaluate")
    org = None
    if can_profile and params.get("profile") == "1":
        assert actor is not None and actor.org_id is not None
        org = get_organisation(session, actor, actor.org_id)
        kind, division = org.kind, org.division_code
    try:
        year = int(params.get("year", ""))
    except ValueError:
        year = service.default_year(session)
    year = year if year in years else service.default_year(session)
    covered = [y for y in years if _calc_pack_or_none(session, y, division) is not None]
    if year not in covered:  # e.g. a county pack's later years, asked for a place it does not cover
        year = min(covered, key=lambda y: abs(y - year))
    answers_text: dict[str, str] = {}
    note = ""
    if org is not None:
        pack = _calc_pack(session, year, division)
        entity = service.entity_for(session, pack, org, year)
        defaults = pack.fact_defaults()
        answers_text = {k: _answer_text(v) for k, v in entity.facts.items()
                        if k in pack.facts and v is not None and defaults.get(k) != v}
        note = t(f"已从“{org.name}”的档案带入 {len(answers_text)} 项信息，可修改后重新测算。",
                 f"{len(answers_text)} answers filled in from {org.name}'s records; change any and run again.")
    pack = _calc_pack(session, year, division)
    measures, shared, own = _questionnaire(pack, kind)
    asked = [*shared, *[f for m in measures for f in own[m.id]]]
    for name in asked:
        if name in params:
            answers_text[name] = params.get(name, "")[:40]
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in asked:
        text = answers_text.get(name, "").strip()
        if not text:
            continue
        info = pack.facts[name]
        try:
            value = fact_store.parse_value(text, info.type)
            fact_store.check_share(name, info.type, value)
        except fact_store.BadValue as exc:
            errors[name] = str(exc)
            continue
        answers[name] = value
    results: list[dict[str, Any]] = []
    total = Decimal("0.00")
    show = params.get("go") == "1" or bool(note)
    if show and not errors:
        entity, evaluated = service.calculate(pack, answers, kind=kind, division_code=division, year=year)
        for r in evaluated:
            if r.status == "not_beneficiary":
                continue
            missing = [(f, pack.facts[f].label if f in pack.facts else f) for f in r.missing]
            results.append({"r": r, "words": CALC_STATUS[r.status], "cls": STATUS_CLASS[r.status], "missing": missing,
                            "explanation": service.explain(pack, entity, r), "measure": pack.measures[r.measure_id]})
            if r.eligible:
                total += r.amount
        results.sort(key=lambda item: CALC_ORDER.index(item["r"].status) if item["r"].status in CALC_ORDER else 99)
    return render(request, "policy/calculator.html", {
        "pack": pack, "pack_key": service.pack_key(pack), "kinds": kinds, "kind": kind, "divisions": division_options(),
        "division": division, "years": years, "year": year, "measures": measures, "shared": shared, "own": own,
        "answers": answers_text, "errors": errors, "results": results, "total": total, "shown": show,
        "note": note, "can_profile": can_profile, "fmt_money": fmt_money, "facts": pack.facts,
        "count_eligible": sum(1 for r in results if r["r"].eligible),
    }, status=422 if errors else 200, headers={"Cache-Control": "no-store"})


def _kinds() -> list[tuple[str, str, str]]:
    """Applicant kinds any shipped measure names, in the registry's order: (code, Chinese, English)."""
    named = {k for p in service.packs().values() for m in p.measures.values() for k in m.beneficiary_kinds}
    ordered = [(k, v, ORG_KINDS_EN.get(k, k)) for k, v in ORG_KINDS.items() if k in named]
    if "person" in named:
        ordered.append(("person", *PERSON_KIND))
    return ordered
