"""A policy pack in memory: the policy as dated, cited data.

The loader (``loader.py``) builds these from the pack's YAML files; the engine (``policy/engine.py``)
evaluates them. A pack is immutable once published: amendments publish a new version with an effective date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from lishui.policy.lang import CompiledExpression, ParamShape, Program, SymbolTable, Type

Recurrence = Literal["one_time", "yearly", "per_asset"]
CapKind = Literal["per_claim", "per_year", "lifetime", "per_asset"]
BudgetLine = Literal["general", "rural", "none"]


@dataclass(frozen=True)
class Clause:
    id: str  # as the text numbers it, e.g. "二(二)4"
    text: str  # the original Chinese text
    responsible: tuple[str, ...] = ()  # 责任单位
    cooperating: tuple[str, ...] = ()  # 配合单位
    title: str = ""


@dataclass(frozen=True)
class ParameterVersion:
    effective_from: dt.date | None  # None: a value without dates (VALUE or SCHEDULE shape)
    value: Any  # Decimal / int / bool / date, or a tuple for a schedule


@dataclass(frozen=True)
class Parameter:
    name: str
    type: Type
    shape: ParamShape
    label: str
    unit: str
    clause: str  # clause id the value comes from ("" for outside references, see ``source``)
    versions: tuple[ParameterVersion, ...]
    description: str = ""
    source: str = ""  # e.g. "PBoC benchmark rate announcements" for values not in the policy text
    # An ambiguous reading of the text (MEASURES.md "default reading"): the options an officer may switch to.
    reading: str = ""
    alternatives: tuple[tuple[Any, str], ...] = ()
    # External measures: the officer fills this in; until then evaluation says "set by external rule".
    unset: bool = False

    def runtime_value(self) -> Any:
        """The value as the rule language takes it (Schedule, Dated or plain)."""
        from lishui.policy.lang import Dated, Schedule

        if self.shape is ParamShape.SCHEDULE:
            return Schedule(self.versions[-1].value)
        if self.shape is ParamShape.DATED:
            return Dated([(v.effective_from, v.value) for v in self.versions if v.effective_from is not None])
        return self.versions[-1].value


@dataclass(frozen=True)
class Condition:
    name: str
    label: str  # plain Chinese, e.g. "使用面积不少于1万平方米"
    expr: CompiledExpression  # Bool
    source_text: str
    # For "差一点" (missed by one condition): what the entity would need, in plain words.
    hint: str = ""


@dataclass(frozen=True)
class Cap:
    kind: CapKind
    param: str  # a Money parameter
    label: str
    # For per-asset caps: the fact naming the asset (park, station, warehouse, software...).
    asset_fact: str = ""


@dataclass(frozen=True)
class Funding:
    bearer: Literal["city", "shared"] = "shared"  # S3: city finance alone, or shared per the fiscal split
    includes_provincial: bool = False  # S4: the amount includes any provincial subsidy for the same item
    not_duplicated_group: str = ""  # measures in one group are not paid twice for the same item


@dataclass(frozen=True)
class External:
    reference: str  # the other document, e.g. "丽财行〔2014〕303号"
    param: str  # the parameter an officer fills in (unset until then)


@dataclass(frozen=True)
class Measure:
    id: str  # "M03"
    title: str
    clauses: tuple[str, ...]
    beneficiary: str  # plain words, e.g. "入驻认定电商园区的电子商务交易或服务企业"
    beneficiary_kinds: tuple[str, ...]  # registry organisation kinds that may receive it
    facts: tuple[str, ...]  # the facts it needs
    conditions: tuple[Condition, ...]
    amount: CompiledExpression  # Money, before caps and the provincial deduction
    caps: tuple[Cap, ...] = ()
    recurrence: Recurrence = "one_time"
    budget_line: BudgetLine = "general"
    funding: Funding = field(default_factory=Funding)
    evidence: tuple[str, ...] = ()
    external: External | None = None
    # S1: exceptions whose beneficiaries in every county are in scope of the city pack.
    all_counties: bool = False
    summary: str = ""  # what they get, in plain words (policy lookup)


@dataclass(frozen=True)
class Target:
    id: str
    clause: str
    text: str
    indicator: str = ""
    value: Any = None
    unit: str = ""
    year: int = 2018


@dataclass(frozen=True)
class Facilitation:
    clause: str
    text: str


@dataclass(frozen=True)
class Pack:
    id: str  # "lishui-2015"
    version: str  # "2015.1"
    title: str
    issuer: str
    document_date: dt.date
    valid_from: dt.date
    valid_to: dt.date | None
    jurisdictions: tuple[str, ...]  # division codes in scope
    scope_note: str  # the clause text of the scope rule (S1), shown with "out of scope"
    clauses: dict[str, Clause]
    parameters: dict[str, Parameter]
    measures: dict[str, Measure]
    symbols: SymbolTable
    program: Program
    budget_lines: dict[str, Any] = field(default_factory=dict)  # S5
    targets: tuple[Target, ...] = ()
    facilitation: tuple[Facilitation, ...] = ()
    derives_from: str = ""  # a county pack names the city pack it refers to
    effective_from: dt.date | None = None  # for amendments: when this version takes over
    source_files: tuple[str, ...] = ()

    def params_runtime(self) -> dict[str, Any]:
        return {name: p.runtime_value() for name, p in self.parameters.items() if not p.unset}
