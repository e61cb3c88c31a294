"""Facts for the engine: providers that domains register, and the facts table officers fill or import.

A provider answers for many organisations at once (``provide(session, org_ids, year)``). The facts table is
the fallback for facts whose owning subsystem is not built yet; a registered provider for the same name
takes precedence over it, so a later subsystem replaces typed-in figures without any change here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from lishui.core import audit
from lishui.core.actor import Actor
from lishui.core.errors import FieldError, NotFound, ValidationFailed
from lishui.core.tabular import read_table
from lishui.policy.lang import SymbolTable, Type
from lishui.policy.models import PolicyFact
from lishui.registry import Organisation, OrganisationTag, ParkTenancy, get_organisation, scope_orgs


class FactProvider(Protocol):
    name: str
    provides: frozenset[str]

    def provide(self, session: Session, org_ids: Sequence[int], year: int) -> dict[int, dict[str, Any]]: ...


_PROVIDERS: list[FactProvider] = []


def register_provider(provider: FactProvider) -> None:
    if all(p.name != provider.name for p in _PROVIDERS):
        _PROVIDERS.append(provider)


def providers() -> list[FactProvider]:
    return list(_PROVIDERS)


# ---------------------------------------------------------------- parsing values

TRUE = {"true", "1", "是", "yes", "y", "有", "已"}
FALSE = {"false", "0", "否", "no", "n", "无", "未"}


class BadValue(ValueError):
    pass


def parse_value(raw: Any, type_: Type, *, signed: bool = False) -> Any:
    """A fact value from text or a cell, exactly typed; refuses impossible values (negative money, shares > 1)."""
    if isinstance(raw, float):
        raise BadValue("不接受浮点数")
    text = str(raw).strip() if raw is not None else ""
    if text == "":
        raise BadValue("不能为空")
    if type_ is Type.BOOL:
        low = text.lower()
        if low in TRUE:
            return True
        if low in FALSE:
            return False
        raise BadValue("应为 是/否")
    if type_ is Type.DATE:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            raise BadValue("应为日期（YYYY-MM-DD）") from None
    try:
        number = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise BadValue("应为数字") from None
    if not number.is_finite():
        raise BadValue("应为数字")
    if type_ is Type.INTEGER:
        if number != number.to_integral_value():
            raise BadValue("应为整数")
        if number < 0 and not signed:
            raise BadValue("不能为负数")
        return int(number)
    if number < 0 and not signed:
        raise BadValue("不能为负数")
    if type_ is Type.MONEY:
        if number != number.quantize(Decimal("0.01")):
            raise BadValue("金额最多保留两位小数（分）")
        return number
    return number


def canonical(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def from_canonical(text: str, type_: Type) -> Any:
    return parse_value(text, type_, signed=True)


def check_share(name: str, type_: Type, value: Any) -> None:
    """Shares, rates and ratios (Decimal facts named *_share/_rate/_ratio) lie between 0 and 1."""
    if type_ is Type.DECIMAL and name.endswith(("_share", "_rate", "_ratio")) and value > 1:
        raise BadValue("比例不能大于1")


# ---------------------------------------------------------------- the facts table

def record_fact(session: Session, actor: Actor, symbols: SymbolTable, *, org_id: int, year: int, name: str,
                value: str, note: str = "", source: str = "officer") -> PolicyFact:
    """Record a fact; a correction of an existing one becomes a new revision (nothing is overwritten)."""
    get_organisation(session, actor, org_id)
    decl = symbols.facts.get(name)
    if decl is None:
        raise ValidationFailed(f"未知的事实“{name}”", [FieldError("name", "政策包中没有这个事实")])
    try:
        parsed = parse_value(value, decl.type)
        check_share(name, decl.type, parsed)
    except BadValue as exc:
        raise ValidationFailed(f"{decl.label or name}：{exc}", [FieldError("value", str(exc))]) from None
    current = session.scalar(select(func.max(PolicyFact.revision)).where(
        PolicyFact.org_id == org_id, PolicyFact.year == year, PolicyFact.name == name))
    fact = PolicyFact(org_id=org_id, year=year, name=name, value=canonical(parsed), revision=(current or 0) + 1,
                      source=source, note=note[:300], recorded_by=actor.username)
    session.add(fact)
    session.flush()
    audit.record(session, actor, "policy.fact.record", object_type="organisation", object_id=org_id,
                 after={"year": year, "name": name, "value": fact.value, "revision": fact.revision})
    return fact


def _many(org_ids: Sequence[int]) -> bool:
    """From this many organisations a query reads them all and keeps the wanted ones in memory."""
    return len(org_ids) >= 5000


@functools.cache
def _table_facts_query(by_org: bool, by_name: bool) -> Select[tuple[int, str, str]]:
    """Built once per shape, with bound parameters: building and keying a statement per call costs more in Python
    than running it (one evaluation through the API reads every provider's facts)."""
    latest = (select(PolicyFact.org_id, PolicyFact.name, func.max(PolicyFact.revision).label("rev"))
              .where(PolicyFact.year == bindparam("year")).group_by(PolicyFact.org_id, PolicyFact.name))
    if by_name:
        latest = latest.where(PolicyFact.name.in_(bindparam("names", expanding=True)))
    if by_org:
        latest = latest.where(PolicyFact.org_id.in_(bindparam("org_ids", expanding=True)))
    sub = latest.subquery()
    return (select(PolicyFact.org_id, PolicyFact.name, PolicyFact.value)
            .join(sub, (PolicyFact.org_id == sub.c.org_id) & (PolicyFact.name == sub.c.name)
                  & (PolicyFact.revision == sub.c.rev))
            .where(PolicyFact.year == bindparam("year")))


def table_facts(session: Session, org_ids: Sequence[int], year: int,
                names: Iterable[str] | None = None) -> dict[int, dict[str, str]]:
    """The latest revision of each recorded fact (as canonical text)."""
    by_org = not _many(org_ids)
    params: dict[str, Any] = {"year": year}
    if names is not None:
        params["names"] = list(names)
    if by_org:
        params["org_ids"] = list(org_ids)
    rows = session.execute(_table_facts_query(by_org, names is not None), params).all()
    wanted = set(org_ids)
    out: dict[int, dict[str, str]] = {}
    for org_id, name, value in rows:
        if org_id in wanted:
            out.setdefault(org_id, {})[name] = value
    return out


def fact_history(session: Session, actor: Actor, org_id: int, year: int) -> list[PolicyFact]:
    get_organisation(session, actor, org_id)
    return list(session.scalars(select(PolicyFact).where(PolicyFact.org_id == org_id, PolicyFact.year == year)
                                .order_by(PolicyFact.name, PolicyFact.revision.desc())))


def gather(session: Session, symbols: SymbolTable, org_ids: Sequence[int], year: int) -> dict[int, dict[str, Any]]:
    """Every known fact of these organisations for the year, typed: the facts table, then providers on top."""
    out: dict[int, dict[str, Any]] = {org_id: {} for org_id in org_ids}
    for org_id, values in table_facts(session, org_ids, year).items():
        for name, text in values.items():
            decl = symbols.facts.get(name)
            if decl is not None:
                out[org_id][name] = from_canonical(text, decl.type)
            elif name.startswith(("received_", "provincial_")):
                out[org_id][name] = Decimal(text)
    for provider in _PROVIDERS:
        for org_id, values in provider.provide(session, org_ids, year).items():
            if org_id in out:
                out[org_id].update({k: v for k, v in values.items() if v is not None})
    return out


# ---------------------------------------------------------------- the registry's facts

TAG_FACTS = {
    "ecommerce_trading": "is_ecommerce_trading",
    "ecommerce_service": "is_ecommerce_service",
    "manufacturer": "is_manufacturer",
    "traditional_commerce": "is_traditional_commerce",
    "cross_border": "is_cross_border",
    "above_size": "is_above_size",
    "in_commerce_stats": "in_commerce_stats",
}


@dataclass
class RegistryFacts:
    """What the registry knows: the year, the organisation's type tags, and park tenancy in that year."""

    name: str = "registry"
    provides: frozenset[str] = frozenset({"year", "tenancy_year", "in_park", "leased_area_m2", *TAG_FACTS.values()})

    def provide(self, session: Session, org_ids: Sequence[int], year: int) -> dict[int, dict[str, Any]]:
        by_org = not _many(org_ids)
        ids = {"org_ids": list(org_ids)} if by_org else {}
        wanted = set(org_ids)
        tags: dict[int, set[str]] = {}
        for org_id, tag in session.execute(_ORG_TAGS[by_org], ids):  # an organisation without tags: one row, None
            if org_id in wanted:
                tags.setdefault(org_id, set())
                if tag is not None:
                    tags[org_id].add(tag)
        out: dict[int, dict[str, Any]] = {}
        for org_id, tag_set in tags.items():
            facts: dict[str, Any] = {"year": year}
            facts.update({fact: tag in tag_set for tag, fact in TAG_FACTS.items()})
            facts["in_park"] = False
            out[org_id] = facts
        tenancies = session.execute(_TENANCIES[by_org], {**ids, "year_end": dt.date(year, 12, 31)})
        for org_id, move_in_date, move_out_date, leased_area_m2 in tenancies:
            if org_id not in out or (move_out_date is not None and move_out_date < dt.date(year, 1, 1)):
                continue
            facts = out[org_id]
            tenancy_year = year - move_in_date.year + 1
            if not facts.get("in_park") or tenancy_year < facts.get("tenancy_year", 99):
                facts.update({"in_park": True, "tenancy_year": tenancy_year, "leased_area_m2": leased_area_m2})
        return out


# The registry facts' queries, built once (columns, not ORM objects); the True entries are for a list of organisations.
_ORG_TAG_ROWS = select(Organisation.id, OrganisationTag.tag).outerjoin(
    OrganisationTag, OrganisationTag.org_id == Organisation.id)
_ORG_TAGS = {True: _ORG_TAG_ROWS.where(Organisation.id.in_(bindparam("org_ids", expanding=True))),
             False: _ORG_TAG_ROWS}
_TENANCY_COLUMNS = select(ParkTenancy.org_id, ParkTenancy.move_in_date, ParkTenancy.move_out_date,
                          ParkTenancy.leased_area_m2).where(ParkTenancy.move_in_date <= bindparam("year_end"))
_TENANCIES = {True: _TENANCY_COLUMNS.where(ParkTenancy.org_id.in_(bindparam("org_ids", expanding=True))),
              False: _TENANCY_COLUMNS}


register_provider(RegistryFacts())


def org_identity(session: Session, org_ids: Sequence[int]) -> Mapping[int, tuple[str, str, str]]:
    """(name, kind, division) of each organisation, for the engine's Entity."""
    rows = session.execute(select(Organisation.id, Organisation.name, Organisation.kind, Organisation.division_code)
                           .where(Organisation.id.in_(list(org_ids)))) if len(org_ids) < 5000 else session.execute(
        select(Organisation.id, Organisation.name, Organisation.kind, Organisation.division_code))
    return {r.id: (r.name, r.kind, r.division_code) for r in rows}


def require_org(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("机构不存在")
    return org


# ---------------------------------------------------------------- the period's own facts

def period_facts(year: int) -> dict[str, Any]:
    """Facts that follow from the period alone (the pack declares them with domain ``period``)."""
    return {"year": year, "days_in_year": 366 if calendar.isleap(year) else 365}


def provided_names() -> frozenset[str]:
    """Facts a registered provider (or the period) answers: they are not typed in or imported."""
    names: set[str] = set(period_facts(2000))
    for provider in _PROVIDERS:
        names |= provider.provides
    return frozenset(names)


# ---------------------------------------------------------------- one organisation's facts, for a page

@dataclass
class FactRow:
    """One fact of an organisation for a year: its value, where the value comes from, and its revisions."""

    name: str
    label: str
    type: Type
    unit: str
    domain: str
    value: Any = None
    origin: str = ""  # provider | period | table | default | "" (unknown)
    provider: str = ""
    history: list[PolicyFact] = field(default_factory=list)  # revisions in the facts table, newest first

    @property
    def recordable(self) -> bool:
        return self.origin not in ("provider", "period")


def fact_sheet(session: Session, actor: Actor, facts_info: Mapping[str, Any], defaults: Mapping[str, Any],
               org_id: int, year: int) -> list[FactRow]:
    """Every fact a pack names for this organisation and year (``facts_info``: name -> FactInfo), with values
    from providers, the period and the facts table (providers first, as the engine sees them), then defaults.
    Facts recorded in the table that the pack does not name are listed after them."""
    history = fact_history(session, actor, org_id, year)  # 404 for an organisation outside the actor's scope
    by_name: dict[str, list[PolicyFact]] = {}
    for fact in history:
        by_name.setdefault(fact.name, []).append(fact)
    provided: dict[str, tuple[str, Any]] = {}
    for provider in _PROVIDERS:
        for name, value in provider.provide(session, [org_id], year).get(org_id, {}).items():
            if value is not None:
                provided[name] = (provider.name, value)
    period = period_facts(year)
    rows: list[FactRow] = []
    for name, info in facts_info.items():
        row = FactRow(name, info.label or name, info.type, info.unit, info.domain, history=by_name.get(name, []))
        if name in period:
            row.value, row.origin = period[name], "period"
        elif name in provided:
            row.origin = "provider"
            row.provider, row.value = provided[name]
        elif row.history:
            row.value, row.origin = from_canonical(row.history[0].value, info.type), "table"
        elif defaults.get(name) is not None:
            row.value, row.origin = defaults[name], "default"
        rows.append(row)
    for name, revisions in by_name.items():
        if name not in facts_info:
            rows.append(FactRow(name, name, Type.DECIMAL, "", "", revisions[0].value, "table", history=revisions))
    return rows


# ---------------------------------------------------------------- importing facts from a spreadsheet

KEY_COLUMNS = ("统一社会信用代码", "年度")
MAX_IMPORT_ERRORS = 200
YEARS = (2000, 2100)


@dataclass
class FactImportReport:
    total_rows: int = 0
    recorded: int = 0  # new revisions written
    unchanged: int = 0  # cells equal to the value already recorded: nothing written for them
    organisations: int = 0
    errors: list[FieldError] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def template_rows(symbols: SymbolTable) -> tuple[list[str], list[list[str]]]:
    """The import template: the key columns, then every fact that can be typed in (no example rows)."""
    provided = provided_names()
    return [*KEY_COLUMNS, *[n for n in symbols.facts if n not in provided]], []


def import_facts(session: Session, actor: Actor, symbols: SymbolTable, content: bytes,
                 filename: str = "") -> FactImportReport:
    """Record facts from an Excel or CSV file: 统一社会信用代码, 年度, then one column per fact (its name).

    All or nothing: every row and cell is checked first (unknown column, unknown or invisible organisation,
    wrong type, negative money, a share above 1, a repeated row); if anything is wrong nothing is stored and
    the report names each row and column. An empty cell records nothing; a value equal to the one already
    recorded writes no new revision.
    """
    provided = provided_names()
    sheet = read_table(content, [*KEY_COLUMNS, *symbols.facts, *sorted(provided - set(symbols.facts))],
                       KEY_COLUMNS)
    refused = [FieldError(col, f"“{col}”由登记系统或申报年度自动提供，不能导入", 1)
               for col in sheet.headers if col in provided]
    if refused:
        raise ValidationFailed("表头中有不能导入的列", refused)
    fact_columns = [c for c in sheet.headers if c not in KEY_COLUMNS]
    report = FactImportReport(total_rows=len(sheet.rows))
    codes = {row["统一社会信用代码"].strip().upper() for row in sheet.rows}
    visible = dict(session.execute(scope_orgs(select(Organisation.uscc, Organisation.id), actor)
                                   .where(Organisation.uscc.in_(list(codes)))).tuples().all()) if codes else {}
    first_row: dict[tuple[str, str], int] = {}
    values: list[tuple[int, int, str, str]] = []  # org_id, year, name, canonical value

    def error(column: str, message: str, row: int) -> None:
        if len(report.errors) >= MAX_IMPORT_ERRORS:
            report.truncated = True
        else:
            report.errors.append(FieldError(column, message, row))

    for index, row in enumerate(sheet.rows, start=2):
        code = row["统一社会信用代码"].strip().upper()
        org_id = visible.get(code)
        if not code:
            error("统一社会信用代码", "不能为空", index)
        elif org_id is None:
            error("统一社会信用代码", f"未找到统一社会信用代码为 {code[:18]} 的机构，或该机构不在您的管辖范围内", index)
        year: int | None = None
        try:
            year = parse_value(row["年度"], Type.INTEGER)
            if not YEARS[0] <= year <= YEARS[1]:
                error("年度", f"年度应在 {YEARS[0]}–{YEARS[1]} 之间", index)
                year = None
        except BadValue as exc:
            error("年度", str(exc), index)
        key = (code, row["年度"].strip())
        if key in first_row:
            error("统一社会信用代码", f"与第 {first_row[key]} 行是同一机构、同一年度", index)
        else:
            first_row[key] = index
        for column in fact_columns:
            raw = row[column]
            if raw.strip() == "":
                continue
            decl = symbols.facts[column]
            try:
                parsed = parse_value(raw, decl.type)
                check_share(column, decl.type, parsed)
            except BadValue as exc:
                error(column, f"{decl.label or column}：{exc}（{type_hint(decl.type)}）", index)
                continue
            if org_id is not None and year is not None:
                values.append((org_id, year, column, canonical(parsed)))
    if not report.ok:
        return report
    report.organisations = len({v[0] for v in values})
    _write_imported(session, actor, values, report)
    audit.record(session, actor, "policy.fact.import", object_type="policy_facts", object_id="",
                 detail={"file": filename[:200], "sha256": hashlib.sha256(content).hexdigest(),
                         "rows": report.total_rows, "recorded": report.recorded, "unchanged": report.unchanged})
    return report


def _write_imported(session: Session, actor: Actor, values: list[tuple[int, int, str, str]],
                    report: FactImportReport) -> None:
    if not values:
        return
    org_ids = sorted({v[0] for v in values})
    years = sorted({v[1] for v in values})
    latest: dict[tuple[int, int, str], tuple[int, str]] = {}
    for start in range(0, len(org_ids), 500):
        chunk = org_ids[start:start + 500]
        rows = session.execute(select(PolicyFact.org_id, PolicyFact.year, PolicyFact.name, PolicyFact.revision,
                                      PolicyFact.value)
                               .where(PolicyFact.org_id.in_(chunk), PolicyFact.year.in_(years))).all()
        for org_id, year, name, revision, value in rows:
            current = latest.get((org_id, year, name))
            if current is None or revision > current[0]:
                latest[(org_id, year, name)] = (revision, value)
    for org_id, year, name, value in values:
        revision, existing = latest.get((org_id, year, name), (0, None))
        if existing == value:
            report.unchanged += 1
            continue
        session.add(PolicyFact(org_id=org_id, year=year, name=name, value=value, revision=revision + 1,
                               source="import", note="", recorded_by=actor.username))
        latest[(org_id, year, name)] = (revision + 1, value)
        report.recorded += 1
    session.flush()


def type_hint(type_: Type) -> str:
    """What a cell of this type should hold, in plain words."""
    return {
        Type.MONEY: "金额，单位元，最多两位小数",
        Type.DECIMAL: "数字；比例写小数，如 0.35",
        Type.INTEGER: "整数",
        Type.BOOL: "是 或 否",
        Type.DATE: "日期，如 2016-03-01",
    }[type_]


def record_typed_fact(session: Session, actor: Actor, symbols: SymbolTable, *, org_id: int, year: int, name: str,
                      value: str, note: str = "") -> PolicyFact:
    """An officer records one fact: as ``record_fact``, refusing facts a provider or the period answers."""
    if name in provided_names():
        get_organisation(session, actor, org_id)
        raise ValidationFailed(f"“{name}”由登记系统或申报年度自动提供，不能手工录入",
                               [FieldError("name", "该事实由登记系统自动提供")])
    if not YEARS[0] <= year <= YEARS[1]:
        raise ValidationFailed("年度有误", [FieldError("year", f"年度应在 {YEARS[0]}–{YEARS[1]} 之间")])
    return record_fact(session, actor, symbols, org_id=org_id, year=year, name=name, value=value, note=note)
