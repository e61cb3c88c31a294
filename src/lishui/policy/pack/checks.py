"""``policy check`` and ``policy diff``: is a pack fit to publish, and what changed between two versions.

``check_pack(path)`` loads the pack (every problem of every file, with file, line and a Chinese
explanation), runs its hand-computed test cases (``tests/*.yaml``), and adds reminders an officer should see
before publishing: measures without cases, values the text does not give (flags), values still to be filled
in. An empty list of errors means the pack may be published.

``diff_packs(a, b)`` compares two packs (two versions, or a county pack with its city pack): the pack's own
data, parameters with their old and new values and dates, measures added, removed or changed, clauses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lishui.policy.lang import ParamShape

from . import values as V
from .cases import load_cases, run_case
from .loader import load_pack, load_pack_with_warnings
from .model import Measure, Pack, Parameter
from .problems import Problem, sort_problems

# -- check ----------------------------------------------------------------------------------------------------


def check_pack(path: str | Path, *, search: Sequence[str | Path] = (), run_cases: bool = True) -> list[Problem]:
    """Every problem of the pack at ``path``: errors (it cannot be published) and warnings (reminders)."""
    pack, collected = load_pack_with_warnings(path, search=search)
    problems = list(collected.problems)
    if pack is None:
        return sort_problems(problems)
    problems += _reminders(pack)
    if run_cases:
        problems += _case_problems(pack)
    return sort_problems(problems)


def errors_only(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def _reminders(pack: Pack) -> list[Problem]:
    out = []
    used = {name for m in pack.measures.values() for name in m.params} | set(pack.fiscal_split.values()) | {
        b.amount_param for b in pack.budget_lines.values()}
    for p in pack.parameters.values():
        if p.flag and p.name in used:
            out.append(Problem(p.file, p.line, None, "flagged", f"参数 {p.name}（{p.label}）需确认：{p.flag}",
                               "warning"))
    return out


def _case_problems(pack: Pack) -> list[Problem]:
    cases, problems = load_cases(pack)
    problems = list(problems)
    tested: dict[str, list[Any]] = {}
    for case in cases:
        tested.setdefault(case.measure, []).append(case)
        outcome = run_case(pack, case)
        if not outcome.ok:
            problems.append(Problem(case.file, case.line, None, "case_failed",
                                    f"测试用例“{case.name}”未通过：" + "；".join(outcome.mismatches)))
    label = Path(pack.path).name
    folder = f"{label}/tests"
    for mid, measure in pack.measures.items():
        # A county pack answers for the measures it writes or whose parameters it changes; the rest are
        # tested with the city pack.
        own = measure.file.startswith(f"{label}/") or any(
            pack.parameters[p].file.startswith(f"{label}/") for p in measure.params if p in pack.parameters)
        if mid not in tested and own:
            problems.append(Problem(measure.file, measure.line, None, "untested",
                                    f"措施 {mid} 没有测试用例：请在 {folder}/{mid}.yaml 中写出手算的用例", "warning"))
        elif mid in tested and measure.external is not None and pack.parameters[measure.external.param].unset \
                and not any(c.status == "external_unset" for c in tested[mid]):
            problems.append(Problem(measure.file, measure.line, None, "untested_external",
                                    f"措施 {mid} 由外部规定确定金额，请加一个 status: external_unset 的用例",
                                    "warning"))
    return problems


# -- diff -----------------------------------------------------------------------------------------------------


SECTIONS = {"pack": "政策包", "parameter": "参数", "measure": "措施", "clause": "条款", "fact": "事实"}


@dataclass(frozen=True)
class Change:
    section: str  # "pack" | "parameter" | "measure" | "clause" | "fact"
    id: str
    kind: str  # "added" | "removed" | "changed"
    details: tuple[str, ...] = ()  # plain Chinese lines: "取值：50,000 元 → 30,000 元"

    def __str__(self) -> str:
        head = {"added": "新增", "removed": "删除", "changed": "修改"}[self.kind]
        what = SECTIONS[self.section]
        text = f"{head}{what} {self.id}"
        return text + ("：" + "；".join(self.details) if self.details else "")


@dataclass
class PackDiff:
    old: str  # "lishui-2015@2015.1"
    new: str
    changes: list[Change] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def of(self, section: str, kind: str | None = None) -> list[Change]:
        return [c for c in self.changes if c.section == section and (kind is None or c.kind == kind)]

    def get(self, section: str, id_: str) -> Change | None:
        return next((c for c in self.changes if c.section == section and c.id == id_), None)

    @property
    def parameters(self) -> list[Change]:
        return self.of("parameter")

    @property
    def measures(self) -> list[Change]:
        return self.of("measure")

    @property
    def clauses(self) -> list[Change]:
        return self.of("clause")

    def text(self) -> str:
        if not self.changes:
            return f"{self.old} 与 {self.new} 没有差别"
        lines = [f"{self.old} → {self.new}：{len(self.changes)} 处变化"]
        for section, title in SECTIONS.items():
            changes = self.of(section)
            if changes:
                lines.append(f"【{title}】")
                lines += [f"  · {c}" for c in changes]
        return "\n".join(lines)


def _key(pack: Pack) -> str:
    return f"{pack.id}@{pack.version}"


def _as_pack(p: Pack | str | Path) -> Pack:
    return p if isinstance(p, Pack) else load_pack(p)


def diff_packs(a: Pack | str | Path, b: Pack | str | Path) -> PackDiff:
    """What changed from pack ``a`` to pack ``b`` (packs or folders)."""
    old, new = _as_pack(a), _as_pack(b)
    diff = PackDiff(_key(old), _key(new))
    diff.changes += _pack_changes(old, new)
    diff.changes += _keyed(old.parameters, new.parameters, "parameter", _param_details)
    diff.changes += _keyed(old.measures, new.measures, "measure", _measure_details)
    diff.changes += _keyed(old.clauses, new.clauses, "clause", _clause_details)
    diff.changes += _keyed(old.facts, new.facts, "fact", _fact_details)
    return diff


def _keyed(old: dict[str, Any], new: dict[str, Any], section: str, details: Any) -> list[Change]:
    out = []
    for key in new:
        if key not in old:
            out.append(Change(section, key, "added", tuple(details(None, new[key]))))
    for key in old:
        if key not in new:
            out.append(Change(section, key, "removed"))
    for key in old:
        if key in new:
            d = details(old[key], new[key])
            if d:
                out.append(Change(section, key, "changed", tuple(d)))
    return out


def _field(label: str, a: Any, b: Any) -> list[str]:
    return [] if a == b else [f"{label}：{_plain(a)} → {_plain(b)}"]


def _plain(value: Any) -> str:
    if value is None or value == "" or value == ():
        return "（无）"
    if isinstance(value, tuple | list):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _pack_changes(old: Pack, new: Pack) -> list[Change]:
    details = []
    details += _field("编号", old.id, new.id)
    details += _field("版本", old.version, new.version)
    details += _field("标题", old.title, new.title)
    details += _field("发文机关", old.issuer, new.issuer)
    details += _field("发文日期", old.document_date, new.document_date)
    details += _field("施行日期", old.valid_from, new.valid_from)
    details += _field("有效期至", old.valid_to, new.valid_to)
    details += _field("本版本生效日期", old.effective_from, new.effective_from)
    details += _field("适用区划", tuple(f"{c} {old.jurisdiction_names.get(c, '')}".strip() for c in old.jurisdictions),
                      tuple(f"{c} {new.jurisdiction_names.get(c, '')}".strip() for c in new.jurisdictions))
    details += _field("派生自", old.derives_from, new.derives_from)
    old_lines = {k: (v.label, v.amount_param) for k, v in old.budget_lines.items()}
    new_lines = {k: (v.label, v.amount_param) for k, v in new.budget_lines.items()}
    details += _field("资金渠道", tuple(f"{k}" for k in old_lines), tuple(f"{k}" for k in new_lines))
    details += _field("财政分担参数", tuple(f"{k}:{v}" for k, v in sorted(old.fiscal_split.items())),
                      tuple(f"{k}:{v}" for k, v in sorted(new.fiscal_split.items())))
    details += _field("2018 年目标", tuple(t.id for t in old.targets), tuple(t.id for t in new.targets))
    details += _field("非资金类措施条数", len(old.facilitation), len(new.facilitation))
    return [Change("pack", new.id, "changed", tuple(details))] if details else []


def describe_versions(p: Parameter) -> str:
    if p.unset:
        return "（待填写）"
    if p.shape is ParamShape.DATED:
        return "；".join(f"{v.effective_from.isoformat() if v.effective_from else '?'} 起 "
                        f"{V.show(v.value, p.type, p.unit)}" for v in p.versions)
    return V.show(p.value_on(None), p.type, p.unit, p.shape)


def _param_details(old: Parameter | None, new: Parameter) -> list[str]:
    if old is None:
        return [f"{new.label}：{describe_versions(new)}" + (f"（依据 {new.clause}）" if new.clause else "")]
    out: list[str] = []
    out += _field("类型", old.type.described, new.type.described)
    out += _field("取值方式", old.shape.value, new.shape.value)
    out += _field("单位", old.unit, new.unit)
    out += _field("依据条款", old.clause, new.clause)
    out += _field("名称", old.label, new.label)
    if old.unset != new.unset or old.versions != new.versions:
        if old.shape is ParamShape.DATED and new.shape is ParamShape.DATED and not old.unset and not new.unset:
            out += _dated_changes(old, new)
        else:
            out.append(f"取值：{describe_versions(old)} → {describe_versions(new)}")
    out += _field("读法说明", old.reading, new.reading)
    out += _field("提醒", old.flag, new.flag)
    return out


def _dated_changes(old: Parameter, new: Parameter) -> list[str]:
    before = {v.effective_from: v.value for v in old.versions}
    after = {v.effective_from: v.value for v in new.versions}
    out = []
    for day in sorted(set(before) | set(after), key=lambda d: d.isoformat() if d else ""):
        label = day.isoformat() if day else "?"
        if day not in before:
            out.append(f"新增 {label} 起的值 {V.show(after[day], new.type, new.unit)}")
        elif day not in after:
            out.append(f"删除 {label} 起的值 {V.show(before[day], old.type, old.unit)}")
        elif before[day] != after[day]:
            was, now = V.show(before[day], old.type, old.unit), V.show(after[day], new.type, new.unit)
            out.append(f"{label} 起：{was} → {now}")
    return out


def _measure_details(old: Measure | None, new: Measure) -> list[str]:
    if old is None:
        return [new.title]
    out: list[str] = []
    out += _field("名称", old.title, new.title)
    out += _field("依据条款", old.clauses, new.clauses)
    out += _field("支持对象", old.beneficiary, new.beneficiary)
    out += _field("对象类型", old.beneficiary_kinds, new.beneficiary_kinds)
    old_c = {c.name: c for c in old.conditions}
    new_c = {c.name: c for c in new.conditions}
    for name in new_c:
        if name not in old_c:
            out.append(f"新增条件 {name}：{new_c[name].label}")
        elif old_c[name].source_text != new_c[name].source_text:
            out.append(f"条件 {name}：{old_c[name].source_text} → {new_c[name].source_text}")
        elif old_c[name].label != new_c[name].label:
            out.append(f"条件 {name} 的说明：{old_c[name].label} → {new_c[name].label}")
    out += [f"删除条件 {name}：{old_c[name].label}" for name in old_c if name not in new_c]
    out += _field("金额公式", old.amount_text, new.amount_text)
    out += _field("上限", tuple(f"{c.kind}:{c.param}" for c in old.caps),
                  tuple(f"{c.kind}:{c.param}" for c in new.caps))
    out += _field("发放方式", old.recurrence, new.recurrence)
    out += _field("资金渠道", old.budget_line, new.budget_line)
    out += _field("资金承担", old.funding.bearer, new.funding.bearer)
    out += _field("含省级补助资金", old.funding.includes_provincial, new.funding.includes_provincial)
    out += _field("申报材料", old.evidence, new.evidence)
    out += _field("外部规定", old.external.reference if old.external else "",
                  new.external.reference if new.external else "")
    out += _field("适用全市各县", old.all_counties, new.all_counties)
    return out


def _clause_details(old: Any, new: Any) -> list[str]:
    if old is None:
        return [new.title or new.text[:30]]
    out: list[str] = []
    if old.text != new.text:
        out.append("原文有改动")
    out += _field("责任单位", old.responsible, new.responsible)
    out += _field("配合单位", old.cooperating, new.cooperating)
    return out


def _fact_details(old: Any, new: Any) -> list[str]:
    if old is None:
        return [f"{new.label}（{new.type.described}，由 {new.domain} 提供）"]
    out: list[str] = []
    out += _field("类型", old.type.described, new.type.described)
    out += _field("名称", old.label, new.label)
    out += _field("提供方", old.domain, new.domain)
    return out
