"""Hand-computed test cases of a pack, in YAML next to it (in the spirit of OpenFisca's YAML tests).

One file per measure, ``tests/Mxx.yaml``, readable by policy staff::

    measure: M03
    defaults:                      # shared by every case of the file (optional)
      period: 2016                 # the year evaluated
      division: "331102"           # where the entity is registered (S1 scope)
      kind: enterprise             # its registry kind (beneficiary)
      facts: {in_recognised_park: true, ecommerce_enterprise: true, in_cross_border_park: false}
    cases:
      - name: 入驻第一年，房租 6 万元
        facts: {tenancy_year: 1, annual_rent: 60000 元}
        params: {m03_cap_cumulative: false}       # switch a reading for this case (optional)
        eligible: true
        failed: []                                # the conditions that fail (optional)
        amount_before_caps: 42000 元             # the amount formula, before caps and S4
        expected_after_caps: 42000 元            # after caps, received amounts, the provincial part, scope
        status: eligible                         # what the engine answers (default: eligible / not_eligible)
        note: 60,000 × 70% = 42,000

``run_case`` evaluates the measure's conditions and amount with the rule language (scalar evaluation) and
compares ``eligible``, ``failed`` and ``amount_before_caps``. ``expected_after_caps`` and ``status`` are for
the engine, which applies caps, the provincial deduction and scope; ``structural_status`` and
``reference_after_caps`` give this module's reading of them so a case file can be checked for consistency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

from lishui.policy.lang import Dated, LangError, ParamShape, Schedule, Type, did_you_mean

from . import values as V
from .model import Measure, Pack
from .problems import Collector, Problem
from .yamlsrc import Entry, Field, Reader, pos, read_yaml

STATUSES = ("eligible", "not_eligible", "out_of_scope", "not_covered", "not_beneficiary", "external_unset")
FEN = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Case:
    measure: str
    name: str
    period: int
    division: str
    kind: str
    facts: dict[str, Any]
    params: dict[str, Any]  # overrides, as the rule language takes them (Schedule, Dated or plain values)
    eligible: bool | None
    failed: tuple[str, ...] | None
    amount_before_caps: Decimal | None
    expected_after_caps: Decimal | None
    status: str
    note: str = ""
    file: str = ""
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.measure} {self.name}"


@dataclass
class CaseOutcome:
    case: Case
    eligible: bool | None = None
    failed: list[str] = field(default_factory=list)
    amount_before_caps: Decimal | None = None
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


# -- reading case files -------------------------------------------------------------------------------------


def case_files(pack: Pack) -> list[Path]:
    folder = Path(pack.path) / "tests"
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def load_cases(pack: Pack, files: list[Path] | None = None) -> tuple[list[Case], list[Problem]]:
    """Every case of the pack's ``tests/`` folder (or of ``files``), and every problem in them."""
    out = Collector()
    cases: list[Case] = []
    for path in files if files is not None else case_files(pack):
        name = f"{Path(pack.path).name}/tests/{path.name}"
        file = read_yaml(path, name, out)
        if file is None or file.root is None:
            continue
        cases += _read_file(pack, Reader(file, out))
    return cases, out.problems


def _entry(reader: Reader, node: yaml.Node, what: str) -> Entry | None:
    mapping = reader.mapping(node, what)
    if mapping is None:
        return None
    return Entry(what, reader.file, node, {k: Field(reader.file, kn, vn) for k, (kn, vn) in mapping.items()})


def _read_file(pack: Pack, reader: Reader) -> list[Case]:
    root = _entry(reader, reader.file.root, "测试文件 ") if reader.file.root is not None else None
    if root is None:
        return []
    reader.keys({k: (f.key, f.node) for k, f in root.fields.items()}, root.node, "测试文件",
                required=["measure", "cases"], optional=["defaults", "description"])
    mf = root.get("measure")
    mid = reader.text(mf.node, "measure") if mf is not None else None
    if mid is None:
        return []
    measure = pack.measures.get(mid)
    if measure is None:
        assert mf is not None
        if mid in pack.dropped_measures:
            reader.error(mf.node, "dropped_measure", f"措施 {mid} 在本政策包中已删除（drop_measures），不能再测试")
        else:
            reader.error(mf.node, "unknown_measure", f"测试文件引用了不存在的措施 {mid}。"
                         + did_you_mean(mid, pack.measures))
        return []
    defaults: dict[str, Field] = {}
    df = root.get("defaults")
    if df is not None:
        d = _entry(reader, df.node, "defaults ")
        if d is not None:
            reader.keys({k: (f.key, f.node) for k, f in d.fields.items()}, df.node, "defaults",
                        optional=["period", "division", "kind", "facts", "params"])
            defaults = d.fields
    cf = root.get("cases")
    cases = []
    for node in (reader.sequence(cf.node, "cases（测试用例列表）") or []) if cf is not None else []:
        case = _read_case(pack, measure, reader, node, defaults)
        if case is not None:
            cases.append(case)
    return cases


_CASE_KEYS = ["name", "period", "division", "kind", "facts", "params", "eligible", "failed", "amount_before_caps",
              "expected_after_caps", "status", "note"]


def _read_case(pack: Pack, measure: Measure, reader: Reader, node: yaml.Node,
               defaults: dict[str, Field]) -> Case | None:
    entry = _entry(reader, node, "测试用例 ")
    if entry is None:
        return None
    fields = entry.fields
    reader.keys({k: (f.key, f.node) for k, f in fields.items()}, node, "测试用例",
                required=["name", "eligible", "expected_after_caps"], optional=_CASE_KEYS)
    name = reader.text(fields["name"].node, "用例名称 name") if "name" in fields else None
    what = f"用例“{name}”"
    problems_before = len(reader.out.problems)

    def pick(key: str) -> Field | None:
        return fields.get(key) or defaults.get(key)

    period = pack.valid_from.year + 1
    pf = pick("period")
    if pf is not None:
        ok, value = V.literal(reader, pf.node, Type.INTEGER, f"{what}的 period（年度）")
        period = value if ok else period
    division = pack.jurisdictions[0] if pack.jurisdictions else ""
    df = pick("division")
    if df is not None:
        division = reader.text(df.node, f"{what}的 division（区划代码）") or division
    kind = measure.beneficiary_kinds[0] if measure.beneficiary_kinds else ""
    kf = pick("kind")
    if kf is not None:
        kind = reader.text(kf.node, f"{what}的 kind（主体类型）") or kind

    facts: dict[str, Any] = {}
    for source in (defaults.get("facts"), fields.get("facts")):
        if source is not None:
            facts.update(_read_facts(pack, reader, source.node, what))
    params: dict[str, Any] = {}
    for source in (defaults.get("params"), fields.get("params")):
        if source is not None:
            params.update(_read_params(pack, reader, source.node, what))

    eligible = None
    ef = fields.get("eligible")
    if ef is not None:
        eligible = reader.flag(ef.node, f"{what}的 eligible")
    failed: tuple[str, ...] | None = None
    ff = fields.get("failed")
    if ff is not None:
        failed = tuple(reader.texts(ff.node, f"{what}的 failed") or ()) if not (
            isinstance(ff.node, yaml.SequenceNode) and not ff.node.value) else ()
        names = [c.name for c in measure.conditions]
        for cname in failed:
            if cname not in names:
                reader.error(ff.node, "unknown_condition",
                             f"{what}的 failed 中的条件 {cname} 不是措施 {measure.id} 的条件。"
                             + did_you_mean(cname, names))
    amounts: dict[str, Decimal | None] = {}
    for key in ("amount_before_caps", "expected_after_caps"):
        af = fields.get(key)
        amounts[key] = None
        if af is not None and not (isinstance(af.node, yaml.ScalarNode) and af.node.tag.endswith(":null")):
            ok, value = V.literal(reader, af.node, Type.MONEY, f"{what}的 {key}")
            amounts[key] = value if ok else None
    status = "eligible" if eligible else "not_eligible"
    sf = fields.get("status")
    if sf is not None:
        status = reader.text(sf.node, f"{what}的 status") or status
        if status not in STATUSES:
            reader.error(sf.node, "bad_value", f"{what}的 status 应为 {'、'.join(STATUSES)} 之一")
    note = (reader.text(fields["note"].node, "note", allow_empty=True) or "") if "note" in fields else ""
    if len(reader.out.problems) > problems_before and any(
            p.severity == "error" for p in reader.out.problems[problems_before:]):
        return None
    return Case(measure.id, name or "", period, division, kind, facts, params, eligible, failed,
                amounts["amount_before_caps"], amounts["expected_after_caps"], status, note, reader.file.name,
                pos(node)[0])


def _read_facts(pack: Pack, reader: Reader, node: yaml.Node, what: str) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name, (key, value) in (reader.mapping(node, f"{what}的 facts") or {}).items():
        info = pack.facts.get(name)
        if info is None:
            reader.error(key, "unknown_fact", f"{what}中有未知的事实 {name}。" + did_you_mean(name, pack.facts))
            continue
        if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null"):
            facts[name] = None
            continue
        ok, parsed = V.literal(reader, value, info.type, f"{what}的事实 {name}")
        if ok:
            facts[name] = parsed
    return facts


def _read_params(pack: Pack, reader: Reader, node: yaml.Node, what: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, (key, value) in (reader.mapping(node, f"{what}的 params") or {}).items():
        p = pack.parameters.get(name)
        if p is None:
            reader.error(key, "unknown_param", f"{what}中有未知的参数 {name}。" + did_you_mean(name, pack.parameters))
            continue
        pwhat = f"{what}的参数 {name}"
        if p.shape is ParamShape.SCHEDULE:
            ok, sched = V.schedule(reader, value, p.type, pwhat)
            if ok:
                params[name] = Schedule(sched)
        elif p.shape is ParamShape.DATED:
            versions = []
            for item in reader.sequence(value, f"{pwhat}（[{{from: 日期, value: 值}}, …]）") or []:
                mapping = reader.mapping(item, pwhat) or {}
                if "from" not in mapping or "value" not in mapping:
                    reader.error(item, "param_no_date", f"{pwhat}的每个值都要写 from（生效日期）和 value")
                    continue
                ok1, start = V.literal(reader, mapping["from"][1], Type.DATE, f"{pwhat}的生效日期")
                ok2, v = V.literal(reader, mapping["value"][1], p.type, pwhat)
                if ok1 and ok2:
                    versions.append((start, v))
            if versions:
                params[name] = Dated(versions)
        else:
            ok, v = V.literal(reader, value, p.type, pwhat)
            if ok:
                params[name] = v
    return params


# -- running them -------------------------------------------------------------------------------------------


def evaluation_date(pack: Pack, year: int) -> dt.date:
    """The date dated parameters are read on for a yearly period: its last day inside the validity window."""
    end = dt.date(year, 12, 31)
    if pack.valid_to is not None and pack.valid_from <= pack.valid_to < end and pack.valid_to.year == year:
        return pack.valid_to
    return end


def params_for(pack: Pack, case: Case) -> dict[str, Any]:
    params = pack.params_runtime()
    params.update(case.params)
    return params


def external_unset(pack: Pack, measure: Measure, case: Case) -> bool:
    return (measure.external is not None and pack.parameters[measure.external.param].unset
            and measure.external.param not in case.params)


def run_case(pack: Pack, case: Case) -> CaseOutcome:
    """Evaluate the measure's conditions and amount formula for the case and compare with what it expects."""
    measure = pack.measures[case.measure]
    outcome = CaseOutcome(case)
    params = params_for(pack, case)
    on = evaluation_date(pack, case.period)
    facts = {**pack.fact_defaults(), "year": case.period, **case.facts}
    try:
        for cond in measure.conditions:
            if not cond.expr.evaluate(facts, params, as_of=on, trace=False).value:
                outcome.failed.append(cond.name)
        outcome.eligible = not outcome.failed
        if not outcome.eligible:
            outcome.amount_before_caps = ZERO
        elif not external_unset(pack, measure, case):
            outcome.amount_before_caps = measure.amount.evaluate(facts, params, as_of=on, trace=False).value
    except LangError as exc:
        outcome.mismatches.append(f"计算出错：{exc}")
        return outcome
    if case.eligible is not None and outcome.eligible != case.eligible:
        outcome.mismatches.append(f"eligible 应为 {case.eligible}，计算得 {outcome.eligible}"
                                  f"（未满足的条件：{'、'.join(outcome.failed) or '无'}）")
    if case.failed is not None and set(case.failed) != set(outcome.failed):
        outcome.mismatches.append(f"未满足的条件应为 {list(case.failed)}，计算得 {outcome.failed}")
    if external_unset(pack, measure, case):
        if case.amount_before_caps is not None and outcome.eligible:
            outcome.mismatches.append("外部规定参数尚未设定，amount_before_caps 应留空（null）")
    elif case.amount_before_caps is not None and outcome.amount_before_caps != case.amount_before_caps:
        outcome.mismatches.append(f"amount_before_caps 应为 {case.amount_before_caps}，"
                                  f"计算得 {outcome.amount_before_caps}")
    return outcome


def run_cases(pack: Pack) -> tuple[list[CaseOutcome], list[Problem]]:
    cases, problems = load_cases(pack)
    return [run_case(pack, c) for c in cases], problems


# -- this module's reading of what the engine adds (for checking case files) -------------------------------


def structural_status(pack: Pack, measure: Measure, case: Case, eligible: bool) -> str:
    """Validity (S2), beneficiary, scope (S1) and external rules, in the order the engine checks them."""
    if pack.valid_to is not None and dt.date(case.period, 1, 1) > pack.valid_to:
        return "not_covered"
    if dt.date(case.period, 12, 31) < pack.valid_from:
        return "not_covered"
    if measure.beneficiary_kinds and case.kind not in measure.beneficiary_kinds:
        return "not_beneficiary"
    if case.division not in pack.jurisdictions and not measure.all_counties:
        return "out_of_scope"
    if external_unset(pack, measure, case):
        return "external_unset"
    return "eligible" if eligible else "not_eligible"


def reference_after_caps(pack: Pack, measure: Measure, case: Case, before: Decimal) -> Decimal:
    """Caps against what was already received, then the provincial part (S4); rounded to the fen."""
    facts = {**pack.fact_defaults(), **case.facts}
    params = params_for(pack, case)
    amount = before
    suffix = {"per_year": "year", "lifetime": "lifetime", "per_asset": "asset"}
    for cap in measure.caps:
        kind = cap.kind_for(params)
        limit = Decimal(params[cap.param])
        received = Decimal(facts.get(f"received_{measure.id.lower()}_{suffix[kind]}", 0) or 0) \
            if kind in suffix else ZERO
        amount = min(amount, max(limit - received, ZERO))
    if measure.funding.includes_provincial:
        amount = max(amount - Decimal(facts.get(f"provincial_{measure.id.lower()}", 0) or 0), ZERO)
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)
