"""A policy pack in memory: the policy as dated, cited data.

The loader (``loader.py``) builds these from the pack's YAML files; the engine (``policy/engine.py``)
evaluates them. A pack is immutable once published: amendments publish a new version with an effective date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from lishui.core.crypto import sm3
from lishui.policy.lang import CompiledExpression, ParamShape, Program, SymbolTable, Type

# per_claim: each claim on its own (a loan, a fair, a purchase), within the caps.
Recurrence = Literal["one_time", "yearly", "per_asset", "per_claim"]
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
    source: str = ""  # where this value comes from, when it differs per version (PBoC benchmark vs LPR)


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
    # A value the text does not give (M06 operating award, the fiscal split): shown to officers as a warning.
    flag: str = ""
    file: str = ""  # where it is declared (pack-relative path) and on which line
    line: int = 0

    @property
    def is_reading(self) -> bool:
        """An ambiguous reading of the text made explicit (MEASURES.md "default reading")."""
        return bool(self.reading)

    def value_on(self, on: dt.date | None = None) -> Any:
        """The value in force on ``on`` (DATED), else the value; None when unset or not yet in force."""
        if self.unset or not self.versions:
            return None
        if self.shape is ParamShape.DATED:
            found = None
            for v in self.versions:
                if on is None or (v.effective_from is not None and v.effective_from <= on):
                    found = v.value
            return found
        return self.versions[-1].value

    def runtime_value(self) -> Any:
        """The value as the rule language takes it (Schedule, Dated or plain)."""
        from lishui.policy.lang import Dated, Schedule

        if self.shape is ParamShape.SCHEDULE:
            return Schedule(self.versions[-1].value)
        if self.shape is ParamShape.DATED:
            return Dated([(v.effective_from, v.value) for v in self.versions if v.effective_from is not None])
        return self.versions[-1].value


@dataclass(frozen=True)
class FactInfo:
    """A fact a measure may use, and which domain provides it (DESIGN.md: each domain's ``facts.py``)."""

    name: str
    type: Type
    label: str
    unit: str = ""
    # registry | stats | stations | logistics | credit | talent | marketplace | regulation | funds | period
    domain: str = ""
    description: str = ""
    # Used when the provider has no record (e.g. nothing received yet under a measure: 0 元); None: required.
    default: Any = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Condition:
    name: str
    label: str  # plain Chinese, e.g. "使用面积不少于1万平方米"
    expr: CompiledExpression  # Bool
    source_text: str
    # For "差一点" (missed by one condition): what the entity would need, in plain words.
    hint: str = ""
    # Whether an entity failing it could still meet it in the period (None: always). A miss that cannot be
    # closed (first inclusion was in an earlier year, the award was already received) is not 差一点.
    closable: CompiledExpression | None = None


@dataclass(frozen=True)
class Cap:
    kind: CapKind
    param: str  # a Money parameter
    label: str
    # For per-asset caps: the fact naming the asset (park, station, warehouse, software...).
    asset_fact: str = ""
    # When an ambiguous reading chooses the kind (M03: cumulative or per year): that Bool parameter, and the
    # kind for each of its values. ``kind`` is the one chosen by the pack's value of that parameter.
    reading: str = ""
    reading_kinds: tuple[tuple[bool, str], ...] = ()

    def kind_for(self, params: dict[str, Any]) -> str:
        """The cap's kind under the given parameter values (a reading switched for one evaluation)."""
        if self.reading and self.reading in params:
            return dict(self.reading_kinds).get(bool(params[self.reading]), self.kind)
        return self.kind


@dataclass(frozen=True)
class Funding:
    bearer: Literal["city", "shared"] = "shared"  # S3: city finance alone, or shared per the fiscal split
    includes_provincial: bool = False  # S4: the amount includes any provincial subsidy for the same item
    not_duplicated_group: str = ""  # measures in one group are not paid twice for the same item
    note: str = ""  # plain words: who pays, per S3/S4


@dataclass(frozen=True)
class External:
    reference: str  # the other document, e.g. "丽财行〔2014〕303号"
    param: str  # the parameter an officer fills in (unset until then)
    note: str = ""  # what the other document decides, in plain words


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
    # ``facts`` are those needed under the pack's current parameter values (a reading switched off does not
    # ask for its facts); ``all_facts`` every fact the measure's text mentions, whatever the readings.
    all_facts: tuple[str, ...] = ()
    # recurrence "per_asset": the fact identifying the park, center, warehouse or software claimed for.
    asset_fact: str = ""
    params: tuple[str, ...] = ()  # parameters its conditions, amount and caps use
    formulas: tuple[str, ...] = ()  # named formulas defined with the measure
    amount_text: str = ""
    notes: str = ""  # readings and choices made in encoding it, for policy officers
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Target:
    id: str
    clause: str
    text: str
    indicator: str = ""
    value: Any = None
    unit: str = ""
    year: int = 2018
    label: str = ""
    comparison: str = ">="  # ">=" at least, ">" more than (突破), "==" done (a yes/no target)
    maximum: Any = None  # a range "3~4家": value 3, maximum 4
    parts: tuple[Target, ...] = ()  # T1, T5, T6, T7 have several indicators
    by_county: dict[str, Any] = field(default_factory=dict)  # county breakdown, None until assigned


@dataclass(frozen=True)
class Facilitation:
    clause: str
    text: str
    title: str = ""
    responsible: tuple[str, ...] = ()
    related_measures: tuple[str, ...] = ()


@dataclass(frozen=True)
class BudgetLineInfo:
    """S5: a yearly fund, not an amount per entity. Measures name it in ``Measure.budget_line``."""

    id: str  # "general" | "rural" | "total"
    label: str
    amount_param: str  # Money parameter: the yearly amount
    clause: str
    part_of: str = ""  # "rural" is part of "total"
    managed_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class GovernmentItem:
    """G1-G4: what the government itself buys or funds from a budget line (no award to an entity)."""

    id: str
    clause: str
    title: str
    text: str
    budget_line: str = "general"
    responsible: tuple[str, ...] = ()


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
    sources: dict[str, str] = field(default_factory=dict)  # file -> text as read: what publication pins
    facts: dict[str, FactInfo] = field(default_factory=dict)
    # S3: jurisdiction code -> the Decimal parameter holding the city's share of an award there.
    fiscal_split: dict[str, str] = field(default_factory=dict)
    jurisdiction_names: dict[str, str] = field(default_factory=dict)
    government_items: tuple[GovernmentItem, ...] = ()  # G1-G4
    dropped_measures: tuple[str, ...] = ()  # a derived pack: measures of the parent it does not keep
    path: str = ""  # the pack's folder
    money_rule: str = ""  # S6: how amounts are rounded (the rule language rounds money half-up to the fen, once)
    validity_note: str = ""  # S2 in plain words
    scope_exceptions: str = ""  # S1: the measures that reach every county, in plain words

    @cached_property
    def content_hash(self) -> str:
        """SM3 over every file the pack was read from (a county pack: its parent's too), in name order. What
        publication pins: a published version whose files no longer give this hash is refused. Computed once per
        pack object (evaluation checks it on every request)."""
        digest = bytearray()
        for name in sorted(self.sources):
            data = self.sources[name].encode("utf-8")
            digest += name.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0" + data
        return sm3(bytes(digest)).hex()

    def params_runtime(self) -> dict[str, Any]:
        return {name: p.runtime_value() for name, p in self.parameters.items() if not p.unset}

    def readings(self) -> list[Parameter]:
        """The ambiguous readings made explicit, each a parameter with its default and alternatives."""
        return [p for p in self.parameters.values() if p.is_reading]

    def fact_defaults(self) -> dict[str, Any]:
        """Values to assume when a provider has no record (0 元 received so far, no provincial grant...)."""
        return {name: f.default for name, f in self.facts.items() if f.default is not None}

    def measures_citing(self, clause_id: str) -> list[Measure]:
        return [m for m in self.measures.values() if clause_id in m.clauses]
