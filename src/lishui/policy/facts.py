"""Facts for the engine: providers that domains register, and the facts table officers fill or import.

A provider answers for many organisations at once (``provide(session, org_ids, year)``). The facts table is
the fallback for facts whose owning subsystem is not built yet; a registered provider for the same name
takes precedence over it, so a later subsystem replaces typed-in figures without any change here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lishui.core import audit
from lishui.core.actor import Actor
from lishui.core.errors import FieldError, NotFound, ValidationFailed
from lishui.policy.lang import SymbolTable, Type
from lishui.policy.models import PolicyFact
from lishui.registry import Organisation, ParkTenancy, get_organisation


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


def table_facts(session: Session, org_ids: Sequence[int], year: int,
                names: Iterable[str] | None = None) -> dict[int, dict[str, str]]:
    """The latest revision of each recorded fact (as canonical text)."""
    latest = (select(PolicyFact.org_id, PolicyFact.name, func.max(PolicyFact.revision).label("rev"))
              .where(PolicyFact.year == year).group_by(PolicyFact.org_id, PolicyFact.name))
    if names is not None:
        latest = latest.where(PolicyFact.name.in_(list(names)))
    if len(org_ids) < 5000:
        latest = latest.where(PolicyFact.org_id.in_(list(org_ids)))
    sub = latest.subquery()
    rows = session.execute(
        select(PolicyFact.org_id, PolicyFact.name, PolicyFact.value)
        .join(sub, (PolicyFact.org_id == sub.c.org_id) & (PolicyFact.name == sub.c.name)
              & (PolicyFact.revision == sub.c.rev))
        .where(PolicyFact.year == year)
    ).all()
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
        out: dict[int, dict[str, Any]] = {}
        orgs = session.scalars(select(Organisation).where(Organisation.id.in_(list(org_ids)))) if len(
            org_ids) < 5000 else session.scalars(select(Organisation))
        wanted = set(org_ids)
        for org in orgs:
            if org.id not in wanted:
                continue
            tags = org.tag_set
            facts: dict[str, Any] = {"year": year}
            facts.update({fact: tag in tags for tag, fact in TAG_FACTS.items()})
            facts["in_park"] = False
            out[org.id] = facts
        year_end = dt.date(year, 12, 31)
        tenancies = session.scalars(select(ParkTenancy).where(ParkTenancy.move_in_date <= year_end))
        for t in tenancies:
            if t.org_id not in out or (t.move_out_date is not None and t.move_out_date < dt.date(year, 1, 1)):
                continue
            facts = out[t.org_id]
            tenancy_year = year - t.move_in_date.year + 1
            if not facts.get("in_park") or tenancy_year < facts.get("tenancy_year", 99):
                facts.update({"in_park": True, "tenancy_year": tenancy_year, "leased_area_m2": t.leased_area_m2})
        return out


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
