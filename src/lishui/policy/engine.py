"""Evaluating a pack: one entity with a full explanation, or every entity at once (免申即享).

The engine adds to the rule language what the policy says about every measure: scope (S1) and validity (S2),
who may receive it, external rules, caps with what was already received, and the provincial part (S4).
It takes facts as plain mappings (one entity) or columns (a batch), so the same code serves the database,
the calculator and files given to the CLI. Both paths give the same answer for every entity (tested).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from lishui.policy.lang import LangError, RationalColumn, Rows, Type, VectorEvaluator, explain
from lishui.policy.pack.model import Measure, Pack

Status = Literal["eligible", "not_eligible", "out_of_scope", "not_covered", "not_beneficiary", "external_unset",
                 "missing_facts", "error"]

STATUS_ZH: dict[str, str] = {
    "eligible": "符合条件",
    "not_eligible": "不符合条件",
    "out_of_scope": "不在本政策适用范围",
    "not_covered": "不在政策有效期内",
    "not_beneficiary": "不是该项政策的支持对象",
    "external_unset": "金额由外部规定确定，尚未设定",
    "missing_facts": "缺少所需数据",
    "error": "计算出错",
}
FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def received_fact(measure_id: str, kind: str) -> str:
    """Names of the engine's own facts: what an entity already received under a measure (from funds)."""
    return f"received_{measure_id.lower()}_{kind}"


def provincial_fact(measure_id: str) -> str:
    """The provincial subsidy already granted for the same item (S4)."""
    return f"provincial_{measure_id.lower()}"


@dataclass(frozen=True)
class Entity:
    """Who is evaluated: their registry identity, and their facts for the period."""

    id: int | str
    name: str
    kind: str
    division_code: str
    facts: Mapping[str, Any]


@dataclass
class MeasureResult:
    measure_id: str
    title: str
    status: Status
    amount: Decimal = ZERO
    amount_before_caps: Decimal = ZERO
    message: str = ""
    conditions: list[dict[str, Any]] = field(default_factory=list)
    caps: list[dict[str, Any]] = field(default_factory=list)
    deductions: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    trace: dict[str, Any] | None = None
    clauses: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return self.status == "eligible"

    @property
    def failed_conditions(self) -> list[dict[str, Any]]:
        return [c for c in self.conditions if not c["passed"]]

    @property
    def near_miss(self) -> bool:
        """差一点: in scope, one condition missed, and one the entity could still meet in the period."""
        failed = self.failed_conditions
        return self.status == "not_eligible" and len(failed) == 1 and bool(failed[0].get("closable", True))

    def as_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure_id, "title": self.title, "status": self.status,
            "status_text": STATUS_ZH[self.status], "eligible": self.eligible, "near_miss": self.near_miss,
            "amount": str(self.amount),
            "amount_before_caps": str(self.amount_before_caps), "message": self.message,
            "conditions": self.conditions, "caps": self.caps, "deductions": self.deductions,
            "missing_facts": self.missing, "parameters": self.parameters, "clauses": self.clauses,
            "trace": self.trace,
        }


def required_facts(measure: Measure) -> list[str]:
    """Facts an entity must have; amounts already received and provincial grants default to zero."""
    return [f for f in measure.facts if not f.startswith(("received_", "provincial_"))]


def period_window(pack: Pack, year: int) -> tuple[dt.date, dt.date] | None:
    """The part of calendar year ``year`` inside the pack's validity, or None (S2)."""
    start = max(dt.date(year, 1, 1), pack.valid_from)
    end = dt.date(year, 12, 31) if pack.valid_to is None else min(dt.date(year, 12, 31), pack.valid_to)
    return (start, end) if start <= end else None


def as_of(pack: Pack, year: int) -> dt.date:
    """The date on which dated parameters are read for a yearly period: the last covered day."""
    window = period_window(pack, year)
    return window[1] if window else dt.date(year, 12, 31)


def in_scope(pack: Pack, measure: Measure, division_code: str) -> bool:
    return division_code in pack.jurisdictions or measure.all_counties


def _money(value: Any) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def _fact_money(facts: Mapping[str, Any], name: str) -> Decimal:
    value = facts.get(name)
    if value is None or value == "":
        return ZERO
    return _money(Decimal(str(value)))


class Engine:
    """Evaluates one pack. Build it once; it is cheap to call many times."""

    def __init__(self, pack: Pack, readings: Mapping[str, bool] | None = None) -> None:
        """``readings``: the pack's ambiguous readings (Bool parameters marked ``reading``) switched for this
        engine, e.g. ``{"m03_cap_cumulative": False}``; anything else is refused."""
        self.pack = pack
        self.params = pack.params_runtime()
        for name, value in (readings or {}).items():
            param = pack.parameters.get(name)
            if param is None or not param.is_reading or not isinstance(value, bool):
                choices = ", ".join(p.name for p in pack.readings()) or "none"
                raise ValueError(f"{name} is not a reading of {pack.id} that can be switched (readings: {choices})")
            self.params[name] = value

    # ---------------------------------------------------------------- one entity

    def evaluate(self, entity: Entity, year: int, measure_ids: Sequence[str] | None = None,
                 trace: bool = True) -> list[MeasureResult]:
        ids = list(measure_ids) if measure_ids else list(self.pack.measures)
        return [self.evaluate_measure(self.pack.measures[m], entity, year, trace) for m in ids]

    def _base(self, measure: Measure, status: Status, message: str) -> MeasureResult:
        return MeasureResult(measure.id, measure.title, status, message=message, clauses=list(measure.clauses))

    def precheck(self, measure: Measure, entity: Entity, year: int) -> MeasureResult | None:
        """Validity, beneficiary, scope and external rules: answered before any formula is evaluated."""
        pack = self.pack
        if period_window(pack, year) is None:
            until = pack.valid_to.isoformat() if pack.valid_to else "长期"
            return self._base(measure, "not_covered",
                              f"{year} 年不在《{pack.title}》有效期（{pack.valid_from.isoformat()} 至 {until}）内")
        if measure.beneficiary_kinds and entity.kind not in measure.beneficiary_kinds:
            return self._base(measure, "not_beneficiary", f"该项政策的支持对象是：{measure.beneficiary}")
        if not in_scope(pack, measure, entity.division_code):
            return self._base(measure, "out_of_scope",
                              f"主体所在地不在本政策适用范围：应适用所在县（市、区）的政策。依据：{pack.scope_note}")
        if measure.external is not None and pack.parameters[measure.external.param].unset:
            ext = measure.external
            return self._base(measure, "external_unset",
                              f"金额按{ext.reference}确定，政策管理员尚未设定（参数 {ext.param}）")
        missing = [f for f in required_facts(measure) if entity.facts.get(f) is None]
        if missing:
            labels = [f"{pack.symbols.facts[f].label or f}（{f}）" for f in missing]
            result = self._base(measure, "missing_facts", "缺少所需数据：" + "、".join(labels))
            result.missing = missing
            return result
        return None

    def evaluate_measure(self, measure: Measure, entity: Entity, year: int, trace: bool = True) -> MeasureResult:
        early = self.precheck(measure, entity, year)
        if early is not None:
            return early
        on = as_of(self.pack, year)
        facts = dict(entity.facts)
        for name in measure.facts:
            if facts.get(name) is None and name.startswith(("received_", "provincial_")):
                facts[name] = ZERO
        result = self._base(measure, "not_eligible", "")
        traces: list[dict[str, Any]] = []
        try:
            for cond in measure.conditions:
                r = cond.expr.evaluate(facts, self.params, as_of=on, trace=trace)
                closable = bool(r.value) or cond.closable is None or bool(
                    cond.closable.evaluate(facts, self.params, as_of=on, trace=False).value)
                result.conditions.append({"name": cond.name, "label": cond.label, "passed": bool(r.value),
                                          "hint": cond.hint, "expr": cond.source_text, "closable": closable})
                if r.trace:
                    traces.append(r.trace)
            if all(c["passed"] for c in result.conditions):
                r = measure.amount.evaluate(facts, self.params, as_of=on, trace=trace)
                if r.trace:
                    traces.append(r.trace)
                raw = _money(r.value)
                result.amount_before_caps = raw
                amount = self.apply_caps(measure, facts, raw, result)
                amount = self.apply_provincial(measure, facts, amount, result)
                result.amount = amount
                result.status = "eligible"
                if amount == 0 and raw > 0:
                    result.message = "已达到上限或已全额享受，本期可得金额为零"
            else:
                failed = result.failed_conditions
                result.message = "未满足：" + "；".join(c["label"] for c in failed)
        except LangError as exc:
            result.status = "error"
            result.message = str(exc)
        if trace:
            result.trace = _merge_traces(traces)
            result.parameters = self.parameters_used(result.trace or {})
        return result

    def apply_caps(self, measure: Measure, facts: Mapping[str, Any], amount: Decimal,
                   result: MeasureResult) -> Decimal:
        for cap in measure.caps:
            limit = _money(self.params[cap.param])
            cap_kind = cap.kind_for(self.params)
            if cap_kind == "per_claim":
                received = ZERO
                remaining = limit
            else:
                kind = {"per_year": "year", "lifetime": "lifetime", "per_asset": "asset"}[cap_kind]
                received = _fact_money(facts, received_fact(measure.id, kind))
                remaining = max(limit - received, ZERO)
            applied = min(amount, remaining)
            result.caps.append({"kind": cap_kind, "label": cap.label, "param": cap.param, "limit": str(limit),
                                "received": str(received), "remaining": str(remaining), "before": str(amount),
                                "after": str(applied), "binding": applied < amount,
                                "clause": self.pack.parameters[cap.param].clause})
            amount = applied
        return amount

    def apply_provincial(self, measure: Measure, facts: Mapping[str, Any], amount: Decimal,
                         result: MeasureResult) -> Decimal:
        if not measure.funding.includes_provincial:
            return amount
        granted = _fact_money(facts, provincial_fact(measure.id))
        after = max(amount - granted, ZERO)
        result.deductions.append({"kind": "provincial", "label": "扣除已获省级补助（含省级补助资金，不重复享受）",
                                  "granted": str(granted), "before": str(amount), "after": str(after)})
        return after

    def parameters_used(self, trace: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        seen = set()
        for p in trace.get("params", []):
            name = p["name"]
            if name in seen:
                continue
            seen.add(name)
            meta = self.pack.parameters.get(name)
            entry = dict(p)
            if meta is not None:
                entry.update({"clause": meta.clause, "unit": meta.unit, "source": meta.source,
                              "label": meta.label})
            out.append(entry)
        return out

    def explain(self, entity: Entity, result: MeasureResult) -> str:
        """A readable Chinese explanation of one measure's result, clause by clause."""
        pack = self.pack
        lines = [f"【{result.measure_id} {result.title}】对象：{entity.name}",
                 f"结论：{STATUS_ZH[result.status]}" + (f"，金额 {result.amount:,.2f} 元" if result.eligible else "")]
        if result.message:
            lines.append(f"说明：{result.message}")
        for cid in result.clauses:
            clause = pack.clauses.get(cid)
            if clause is not None:
                lines.append(f"政策依据 {cid}：{clause.text[:200]}{'…' if len(clause.text) > 200 else ''}")
        if result.conditions:
            lines.append("条件：")
            lines += [f"  {'✓' if c['passed'] else '✗'} {c['label']}" for c in result.conditions]
        if result.eligible or result.amount_before_caps:
            lines.append(f"按公式计算的金额：{result.amount_before_caps:,.2f} 元")
        for cap in result.caps:
            limit, received = Decimal(cap["limit"]), Decimal(cap["received"])
            remaining, after = Decimal(cap["remaining"]), Decimal(cap["after"])
            lines.append(f"  上限「{cap['label']}」{limit:,.2f} 元，已获 {received:,.2f} 元，剩余 {remaining:,.2f} 元"
                         f" → {after:,.2f} 元" + ("（上限起作用）" if cap["binding"] else ""))
        for d in result.deductions:
            lines.append(f"  {d['label']}：{Decimal(d['granted']):,.2f} 元 → {Decimal(d['after']):,.2f} 元")
        if result.parameters:
            lines.append("所用参数：")
            for p in result.parameters:
                when = f"，自 {p['effective_from']} 起生效" if p.get("effective_from") else ""
                basis = f"，依据 {p['clause']}" if p.get("clause") else ""
                if not basis and p.get("source"):
                    basis = f"，来源 {p['source']}"
                lines.append(f"  · {p.get('label') or p['name']}（{p['name']}）{when}{basis}")
        if result.trace:
            lines.append("计算过程：")
            lines += ["  " + line for line in explain(result.trace).splitlines()]
        return "\n".join(lines)

    # ---------------------------------------------------------------- every entity at once

    def evaluate_batch(self, entities: EntityColumns, year: int, measure_ids: Sequence[str] | None = None,
                       progress: Callable[[int, int], None] | None = None) -> dict[str, BatchResult]:
        """All entities × measures, vectorised. Per-entity answers equal ``evaluate`` (without traces).

        One rule-language evaluator serves the whole batch (each fact column is read and each named formula
        computed once), kind and place comparisons are shared by every measure, and statuses are small codes.
        ``progress(done, total)`` is called after each measure."""
        ids = list(measure_ids) if measure_ids else list(self.pack.measures)
        shared: dict[Any, Any] = {}
        out = {}
        for done, m in enumerate(ids, start=1):
            out[m] = self.batch_measure(self.pack.measures[m], entities, year, shared)
            if progress is not None:
                progress(done, len(ids))
        return out

    def _evaluator(self, program: Any, ent: EntityColumns, on: dt.date, shared: dict[Any, Any],
                   rows: tuple[Any, np.ndarray] | None = None) -> VectorEvaluator:
        """One evaluator (and so one memo of computed columns) per program and set of rows, shared by measures."""
        key = ("evaluator", id(program), None if rows is None else rows[0])
        ev = shared.get(key)
        if ev is None:
            if rows is None:
                ev = VectorEvaluator(program, ent.columns, self.params, as_of=on, size=ent.size)
            else:
                taken = shared.setdefault(("rows", rows[0]), Rows(ent.columns, rows[1]))
                ev = VectorEvaluator(program, taken, self.params, as_of=on, size=len(rows[1]))
            shared[key] = ev
        return ev

    def batch_measure(self, measure: Measure, ent: EntityColumns, year: int,
                      shared: dict[Any, Any] | None = None) -> BatchResult:
        n = ent.size
        codes = np.zeros(n, dtype=np.int8)  # not_eligible
        failed_count = np.zeros(n, dtype=np.int8)
        failed_first = np.full(n, -1, dtype=np.int8)
        zero = np.zeros(n, dtype=np.int64)
        out = BatchResult(measure.id, codes, zero, zero, failed_count, failed_first)
        if period_window(self.pack, year) is None:
            codes[:] = STATUS_CODE["not_covered"]
            return out
        shared = {} if shared is None else shared

        def isin(which: str, values: Iterable[str]) -> np.ndarray:
            column = getattr(ent, which)
            found = np.zeros(n, dtype=bool)
            for v in sorted(set(values)):
                key = (which, v)
                if key not in shared:
                    shared[key] = column.equals(v) if isinstance(column, Categorical) else column == v
                found |= shared[key]
            return found

        def mark(mask: np.ndarray, status: Status) -> None:
            # Each entity is marked at most once: masks are narrowed as the checks go.
            codes[:] += mask.view(np.int8) * int(STATUS_CODE[status])

        active = np.ones(n, dtype=bool)
        if measure.beneficiary_kinds:
            ok = isin("kinds", measure.beneficiary_kinds)
            mark(~ok, "not_beneficiary")
            active &= ok
        if not measure.all_counties:
            ok = isin("divisions", self.pack.jurisdictions)
            mark(active & ~ok, "out_of_scope")
            active &= ok
        if measure.external is not None and self.pack.parameters[measure.external.param].unset:
            mark(active, "external_unset")
            return out
        # The rows this measure can concern (its kinds, its jurisdictions): when they are a minority, conditions and
        # amounts are computed over those rows only, shared by the measures with the same kinds and scope.
        scope_key = ("scope", tuple(sorted(set(measure.beneficiary_kinds or ()))), measure.all_counties)
        if scope_key not in shared:
            shared[scope_key] = np.flatnonzero(active) if active.sum() < SUBSET_BELOW * n else None
        taken = shared[scope_key]
        rows = None if taken is None else (scope_key, taken)
        have = np.ones(n, dtype=bool)
        for f in required_facts(measure):
            present = ent.present.get(f)
            if present is None:
                have[:] = False
                break
            have &= present
        mark(active & ~have, "missing_facts")
        active &= have
        if not active.any():
            return out
        ev = self._evaluator(measure.amount.program, ent, as_of(self.pack, year), shared, rows)
        # From here on, arrays are over the evaluated rows (all of them, or the taken ones) and scattered back.
        local_active = active if taken is None else active[taken]
        m = len(local_active)
        first = failed_first if taken is None else np.full(m, -1, dtype=np.int8)
        count = failed_count if taken is None else np.zeros(m, dtype=np.int8)

        def mark_local(mask: np.ndarray, status: Status) -> None:
            if taken is None:
                mark(mask, status)
            else:
                codes[taken] += mask.view(np.int8) * int(STATUS_CODE[status])

        def money(name: str) -> np.ndarray:
            column = ent.money_column(name)
            return column if taken is None else column[taken]

        passed_all = local_active.copy()
        unclosable = None
        for i, cond in enumerate(measure.conditions):
            col = ev.evaluate_node(cond.expr.expr, Type.BOOL, cond.expr.types)
            if col.errors is not None:
                mark_local(local_active & col.errors, "error")
                local_active &= ~col.errors
                passed_all &= ~col.errors
            failed = local_active & ~col.values
            first[:] += (failed & (first < 0)).view(np.int8) * np.int8(i + 1)
            count[:] += failed.view(np.int8)
            if cond.closable is not None and failed.any():
                can = ev.evaluate_node(cond.closable.expr, Type.BOOL, cond.closable.types)
                stuck = failed & ~can.values if can.errors is None else failed & ~(can.values & ~can.errors)
                unclosable = stuck if unclosable is None else unclosable | stuck
            passed_all &= col.values
        passed_all &= local_active
        col = ev.evaluate_node(measure.amount.expr, measure.amount.type, measure.amount.types)
        if col.errors is not None:
            mark_local(passed_all & col.errors, "error")
            passed_all &= ~col.errors
        raw = np.multiply(col.values, passed_all).astype(np.int64, copy=False)
        value = raw
        for cap in measure.caps:
            limit = int(_money(self.params[cap.param]) * 100)
            cap_kind = cap.kind_for(self.params)
            if cap_kind == "per_claim":
                value = np.minimum(value, limit)
            else:
                kind = {"per_year": "year", "lifetime": "lifetime", "per_asset": "asset"}[cap_kind]
                value = np.minimum(value, np.maximum(limit - money(received_fact(measure.id, kind)), 0))
        if measure.funding.includes_provincial:
            value = np.maximum(value - money(provincial_fact(measure.id)), 0)
        if taken is None:
            out.before_caps_fen = raw
            out.amount_fen = value if value is not raw else raw.copy()  # zero wherever passed_all is false
            out.unclosable = unclosable
            mark(passed_all, "eligible")
            return out
        out.before_caps_fen = np.zeros(n, dtype=np.int64)
        out.before_caps_fen[taken] = raw
        out.amount_fen = np.zeros(n, dtype=np.int64)
        out.amount_fen[taken] = value
        failed_first[taken] = first
        failed_count[taken] = count
        if unclosable is not None:
            out.unclosable = np.zeros(n, dtype=bool)
            out.unclosable[taken] = unclosable
        mark_local(passed_all, "eligible")
        return out


# Evaluate over the rows in a measure's scope when they are fewer than this share of the batch (taking rows costs
# a copy of each column read; over half the rows, computing on every row is as quick).
SUBSET_BELOW = 0.6

STATUSES: tuple[Status, ...] = ("not_eligible", "eligible", "out_of_scope", "not_covered", "not_beneficiary",
                                "external_unset", "missing_facts", "error")
STATUS_CODE = {s: np.int8(i) for i, s in enumerate(STATUSES)}
_STATUS_NAMES = np.array(STATUSES, dtype=object)


@dataclass
class BatchResult:
    measure_id: str
    codes: np.ndarray  # int8 index into STATUSES
    amount_fen: np.ndarray  # int64, after caps and deductions
    before_caps_fen: np.ndarray
    failed_count: np.ndarray  # how many conditions failed (for 差一点: exactly one)
    failed_first: np.ndarray  # index of the first failed condition, -1 if none
    # Entities that failed a condition they cannot meet in the period (see Condition.closable): not 差一点.
    unclosable: np.ndarray | None = None
    _status: np.ndarray | None = None

    @property
    def status(self) -> np.ndarray:
        """Statuses as names (an object array), built on first use."""
        if self._status is None:
            self._status = _STATUS_NAMES[self.codes]
        return self._status

    def eligible(self) -> np.ndarray:
        return self.codes == STATUS_CODE["eligible"]

    def near_miss(self) -> np.ndarray:
        """Entities in scope that miss by exactly one condition, one they could still meet (差一点)."""
        near = (self.codes == STATUS_CODE["not_eligible"]) & (self.failed_count == 1)
        return near if self.unclosable is None else near & ~self.unclosable


@dataclass(frozen=True)
class Categorical:
    """A column of a few distinct strings (kinds, division codes) as small integer codes, as OpenFisca stores its
    enums and Polars its categoricals: testing membership is then an integer comparison, not a string one."""

    codes: np.ndarray  # an integer index into ``categories`` per entity
    categories: tuple[str, ...]

    @classmethod
    def of(cls, values: Iterable[str]) -> Categorical:
        index: dict[str, int] = {}
        codes = [index.setdefault(v, len(index)) for v in values]
        dtype = np.int8 if len(index) < 128 else np.int32
        return cls(np.array(codes, dtype=dtype), tuple(index))

    def __len__(self) -> int:
        return len(self.codes)

    def strings(self) -> np.ndarray:
        return np.array(self.categories, dtype=object)[self.codes]

    def equals(self, value: str) -> np.ndarray:
        try:
            code = self.categories.index(value)
        except ValueError:
            return np.zeros(len(self.codes), dtype=bool)
        return self.codes == code


class EntityColumns:
    """Facts of N entities as typed columns (money in integer fen), with which entities have each fact.
    ``kinds`` and ``divisions`` are string arrays or ``Categorical`` columns."""

    def __init__(self, pack: Pack, entities: Sequence[Entity]) -> None:
        columns: dict[str, Any] = {}
        present: dict[str, np.ndarray] = {}
        for name, decl in pack.symbols.facts.items():
            values = [e.facts.get(name) for e in entities]
            present[name] = np.array([v is not None and v != "" for v in values], dtype=bool)
            columns[name] = _column(values, decl.type)
        extra = {name for e in entities for name in e.facts if name.startswith(("received_", "provincial_"))
                 and name not in pack.symbols.facts}
        money = {name: np.array([int(_fact_money(e.facts, name) * 100) for e in entities], dtype=np.int64)
                 for name in extra}
        self._init(pack, [e.id for e in entities], [e.name for e in entities],
                   Categorical.of(e.kind for e in entities), Categorical.of(e.division_code for e in entities),
                   columns, present, money)

    @classmethod
    def from_arrays(cls, pack: Pack, *, ids: Sequence[Any], kinds: np.ndarray | Categorical,
                    divisions: np.ndarray | Categorical,
                    columns: Mapping[str, Any], present: Mapping[str, np.ndarray] | None = None) -> EntityColumns:
        """Columns built directly (money as int64 fen, Decimal as RationalColumn): for large batches and files.
        A fact without a ``present`` mask counts as present for every entity; received/provincial amounts
        (engine facts, see ``received_fact``) may be given as int64 fen columns too."""
        self = cls.__new__(cls)
        n = len(ids)
        mask = {name: (present or {}).get(name, np.ones(n, dtype=bool)) for name in columns}
        facts = {k: v for k, v in columns.items() if k in pack.symbols.facts}
        money = {k: np.asarray(v, dtype=np.int64) for k, v in columns.items() if k not in pack.symbols.facts}
        for name in pack.symbols.facts:
            if name not in facts:
                mask[name] = np.zeros(n, dtype=bool)
        self._init(pack, ids, None, kinds, divisions, facts, mask, money)
        return self

    def _init(self, pack: Pack, ids: Sequence[Any], names: list[str] | None, kinds: np.ndarray | Categorical,
              divisions: np.ndarray | Categorical,
              columns: dict[str, Any], present: dict[str, np.ndarray], money: dict[str, np.ndarray]) -> None:
        self.pack = pack
        self.size = len(ids)
        self.ids = ids
        self._names = names
        self.kinds = kinds
        self.divisions = divisions
        self.columns = columns
        self.present = present
        for name, decl in pack.symbols.facts.items():
            if decl.type is Type.MONEY and name in columns:
                money.setdefault(name, np.asarray(columns[name]))
        self._money = money

    @property
    def names(self) -> list[str]:
        if self._names is None:
            self._names = [str(i) for i in self.ids]
        return self._names

    def money_column(self, name: str) -> np.ndarray:
        """An amount in fen per entity; zero where unknown (nothing received, no provincial grant)."""
        found = self._money.get(name)
        if found is None:
            return np.zeros(self.size, dtype=np.int64)
        mask = self.present.get(name)
        return found if mask is None else found * mask


def _column(values: list[Any], type_: Type) -> Any:
    if type_ is Type.BOOL:
        return np.array([bool(v) if v is not None else False for v in values], dtype=bool)
    if type_ is Type.DATE:
        return np.array([v if v is not None else dt.date(1970, 1, 1) for v in values], dtype="datetime64[D]")
    if type_ is Type.MONEY:
        return np.array([int(_money(Decimal(str(v))) * 100) if v is not None and v != "" else 0 for v in values],
                        dtype=np.int64)
    if type_ is Type.INTEGER:
        return np.array([int(v) if v is not None and v != "" else 0 for v in values], dtype=np.int64)
    fractions = [Fraction(Decimal(str(v))) if v is not None and v != "" else Fraction(0) for v in values]
    den = 1
    for f in fractions:
        den = den * f.denominator // np.gcd(den, f.denominator)
    return RationalColumn(np.array([f.numerator * (den // f.denominator) for f in fractions], dtype=np.int64), den)


def _merge_traces(traces: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not traces:
        return None
    merged: dict[str, Any] = {"targets": [], "facts": [], "params": [], "formulas": [], "steps": []}
    seen: dict[str, set[str]] = {"facts": set(), "params": set(), "formulas": set()}
    step = 0
    for t in traces:
        merged["targets"] += t.get("targets", [])
        for key in ("facts", "params", "formulas"):
            for item in t.get(key, []):
                ident = str(item.get("name")) + str(item.get("year", "")) + str(item.get("on", ""))
                if ident not in seen[key]:
                    seen[key].add(ident)
                    merged[key].append(item)
        for s in t.get("steps", []):
            step += 1
            merged["steps"].append({**s, "step": step})
    return merged
