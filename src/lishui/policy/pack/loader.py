"""Loading a policy pack from a folder of YAML files into the model, checking everything on the way.

A pack folder (see ``packs/lishui-2015/README.md`` for the policy officer's view)::

    pack.yaml            id, version, title, issuer, dates, validity (S2), scope and its jurisdictions (S1),
                         budget lines (S5), fiscal split per jurisdiction (S3); a county pack: derives_from,
                         drop_measures
    document.yaml        the original text of the document (clauses are checked against it)
    clauses.yaml         clause id -> original text, 责任单位 / 配合单位
    facts.yaml           every fact a measure may use: type, label, unit, the domain that provides it
    parameters.yaml      typed values with unit, clause and effective dates; readings with their alternatives
    formulas.yaml        (optional) named formulas shared by several measures
    measures/Mxx.yaml    one measure per file: beneficiary, conditions, formulas, amount, caps, funding...
    targets.yaml         the 2018 targets (T1-T7)
    facilitation.yaml    the measures without money
    government.yaml      government-side funding (G1-G4)
    tests/Mxx.yaml       hand-computed cases per measure (``cases.py``)

``load_pack(path)`` returns a ``Pack`` or raises ``PackErrors`` listing every problem found, each with its
file, line and a plain Chinese explanation. A county pack names its parent in ``derives_from``; the parent's
files are read first and the county's entries override them key by key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lishui.policy.lang import (
    CompiledExpression,
    FactDecl,
    FormulaSource,
    LangError,
    Needs,
    ParamDecl,
    ParamShape,
    SymbolTable,
    Type,
    Untyped,
    broken_formulas,
    compile_in_program,
    compile_sources,
    did_you_mean,
)

from . import values as V
from .model import (
    BudgetLineInfo,
    Cap,
    Clause,
    Condition,
    External,
    Facilitation,
    FactInfo,
    Funding,
    GovernmentItem,
    Measure,
    Pack,
    Parameter,
    ParameterVersion,
    Target,
)
from .problems import Collector, PackErrors
from .yamlsrc import LOADER, Entry, Field, Reader, YamlFile, expression_source, is_null, pos, read_yaml

PACK_FILE = "pack.yaml"
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "packs"

DOMAINS: dict[str, str] = {
    "registry": "主体登记（主体、园区、资质认定）",
    "stats": "统计监测",
    "stations": "服务站点",
    "logistics": "仓储物流",
    "credit": "金融信用",
    "talent": "人才培训与就业",
    "marketplace": "线上公共服务平台",
    "regulation": "市场监管",
    "funds": "专项资金（申报材料、已拨付金额）",
    "assessment": "考核督查",
    "period": "计算期间（由引擎提供）",
}
CAP_KINDS: dict[str, str] = {
    "per_claim": "每次申报",
    "per_year": "每年",
    "lifetime": "累计",
    "per_asset": "每个园区/站点/仓库/软件",
}
RECURRENCES: dict[str, str] = {
    "one_time": "一次性",
    "yearly": "按年度",
    "per_asset": "每个园区/中心/仓库/软件一次",
    "per_claim": "按每次申报（每笔贷款、每次展会、每次采购）",
}
BUDGET_LINES = ("general", "rural", "none")
BEARERS = {"city": "市级财政全额承担", "shared": "按现行财政体制由市、区分担"}
# Engine convention (engine.received_fact / provincial_fact): what was received under a measure, per cap kind.
RECEIVED_SUFFIX = {"per_year": "year", "lifetime": "lifetime", "per_asset": "asset"}
PERSON_KIND = "person"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LABEL_PARAM = re.compile(r"\{param\.([A-Za-z_][A-Za-z0-9_]*)\}")


def received_fact_name(measure_id: str, cap_kind: str) -> str:
    return f"received_{measure_id.lower()}_{RECEIVED_SUFFIX[cap_kind]}"


def provincial_fact_name(measure_id: str) -> str:
    return f"provincial_{measure_id.lower()}"


def beneficiary_kinds() -> dict[str, str]:
    """Kinds of beneficiary a measure may name: the registry's organisation kinds, and persons."""
    from lishui.registry import ORG_KINDS

    return {**ORG_KINDS, PERSON_KIND: "个人"}


def county_codes() -> dict[str, str]:
    from lishui.registry import CITY_CODE, COUNTIES, ZONE_CODE

    return {CITY_CODE: "市直", **COUNTIES, ZONE_CODE: "丽水经济技术开发区"}


# -- reading the files ------------------------------------------------------------------------------------


@dataclass
class RawPack:
    """A pack's files as nodes, before checking; a county pack's raw is merged onto its parent's."""

    root: Path
    label: str
    meta: Entry | None = None
    own_meta: Entry | None = None  # a derived pack: only what its own pack.yaml says
    documents: list[str] = field(default_factory=list)
    clauses: dict[str, Entry] = field(default_factory=dict)
    facts: dict[str, Entry] = field(default_factory=dict)
    params: dict[str, Entry] = field(default_factory=dict)
    formulas: dict[str, Field] = field(default_factory=dict)  # formulas.yaml: name -> expression or mapping
    measures: dict[str, Entry] = field(default_factory=dict)
    lists: dict[str, tuple[YamlFile, yaml.Node]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # file -> its text, as read (publication hashes these)
    parent_label: str = ""


def _entry(file: YamlFile, name: str, at: yaml.Node, node: yaml.Node, reader: Reader, what: str,
           scalar_key: str | None = None) -> Entry | None:
    if scalar_key is not None and isinstance(node, yaml.ScalarNode):
        return Entry(name, file, at, {scalar_key: Field(file, at, node)})
    mapping = reader.mapping(node, what)
    if mapping is None:
        return None
    return Entry(name, file, at, {k: Field(file, kn, vn) for k, (kn, vn) in mapping.items()})


def _named_entries(file: YamlFile, out: Collector, what: str, scalar_key: str | None = None) -> dict[str, Entry]:
    reader = Reader(file, out)
    if file.root is None:
        return {}
    mapping = reader.mapping(file.root, f"{file.name}")
    if mapping is None:
        return {}
    entries = {}
    for name, (key, node) in mapping.items():
        entry = _entry(file, name, key, node, reader, f"{what} {name}", scalar_key)
        if entry is not None:
            entries[name] = entry
    return entries


def read_raw(root: Path, out: Collector) -> RawPack:
    label = root.name
    raw = RawPack(root, label)

    def load(rel: str) -> YamlFile | None:
        path = root / rel
        if not path.is_file():
            return None
        raw.files.append(f"{label}/{rel}")
        file = read_yaml(path, f"{label}/{rel}", out)
        if file is not None:
            raw.texts[file.name] = file.text
        return file

    if not (root / PACK_FILE).is_file():
        out.error(f"{label}/{PACK_FILE}", None, None, "missing_file",
                  f"找不到 {PACK_FILE}：政策包文件夹必须有 {PACK_FILE}（编号、版本、标题、有效期、适用范围）")
        return raw
    meta_file = load(PACK_FILE)
    if meta_file is not None and meta_file.root is not None:
        reader = Reader(meta_file, out)
        raw.meta = _entry(meta_file, "pack", meta_file.root, meta_file.root, reader, "pack.yaml ")
        raw.own_meta = raw.meta
    elif meta_file is not None:
        out.error(meta_file.name, None, None, "empty_file", "pack.yaml 为空")

    doc = load("document.yaml")
    if doc is not None and doc.root is not None:
        reader = Reader(doc, out)
        mapping = reader.mapping(doc.root, "document.yaml ")
        if mapping is not None and "text" in mapping:
            text = reader.text(mapping["text"][1], "文件原文 text")
            if text:
                raw.documents.append(text)
    for rel, target, what in (("clauses.yaml", raw.clauses, "条款"), ("facts.yaml", raw.facts, "事实"),
                              ("parameters.yaml", raw.params, "参数")):
        file = load(rel)
        if file is not None:
            target.update(_named_entries(file, out, what))
    file = load("formulas.yaml")
    if file is not None and file.root is not None:
        mapping = Reader(file, out).mapping(file.root, file.name) or {}
        raw.formulas.update({name: Field(file, key, node) for name, (key, node) in mapping.items()})

    measures_dir = root / "measures"
    if measures_dir.is_dir():
        for path in sorted(measures_dir.glob("*.yaml")):
            file = load(f"measures/{path.name}")
            if file is None:
                continue
            reader = Reader(file, out)
            entry = _entry(file, path.stem, file.root, file.root, reader, f"措施文件 {path.name} ") \
                if file.root is not None else None
            if entry is None:
                if file.root is None:
                    out.error(file.name, None, None, "empty_file", "措施文件为空")
                continue
            id_field = entry.get("id")
            mid = id_field.node.value if id_field is not None and isinstance(id_field.node, yaml.ScalarNode) \
                else path.stem
            if mid in raw.measures:
                reader.error(entry.node, "duplicate", f"措施 {mid} 重复定义（另见 {raw.measures[mid].file.name}）")
                continue
            if mid != path.stem:
                reader.warning(id_field.node if id_field else entry.node, "file_name",
                               f"措施编号 {mid} 与文件名 {path.name} 不一致")
            entry.name = mid
            raw.measures[mid] = entry
    for rel in ("targets.yaml", "facilitation.yaml", "government.yaml"):
        file = load(rel)
        if file is not None and file.root is not None:
            raw.lists[rel] = (file, file.root)
    return raw


def _merge_entries(parent: dict[str, Entry], child: dict[str, Entry]) -> dict[str, Entry]:
    merged = {name: Entry(e.name, e.file, e.node, dict(e.fields)) for name, e in parent.items()}
    for name, e in child.items():
        if name in merged:
            base = merged[name]
            fields = {**base.fields, **e.fields}
            # "key: ~" in the county pack drops the parent's value (a flag no longer needed, say)
            fields = {k: f for k, f in fields.items() if not (k in e.fields and is_null(f.node))}
            merged[name] = Entry(name, e.file, e.node, fields)
        else:
            merged[name] = Entry(e.name, e.file, e.node, dict(e.fields))
    return merged


_OWN_META = ("id", "version", "title", "issuer", "document_date", "valid_from", "valid_to", "effective_from",
             "derives_from", "drop_measures")


def merge_raw(parent: RawPack, child: RawPack, out: Collector) -> RawPack:
    """A county pack over its parent: the county's entries override the parent's key by key."""
    merged = RawPack(child.root, child.label, parent_label=parent.label)
    merged.own_meta = child.own_meta
    if child.meta is not None:
        inherited = {k: f for k, f in (parent.meta.fields if parent.meta else {}).items() if k not in _OWN_META}
        merged.meta = Entry("pack", child.meta.file, child.meta.node, {**inherited, **child.meta.fields})
    merged.documents = parent.documents + child.documents
    merged.clauses = _merge_entries(parent.clauses, child.clauses)
    merged.facts = _merge_entries(parent.facts, child.facts)
    merged.params = _merge_entries(parent.params, child.params)
    merged.formulas = {**parent.formulas, **child.formulas}
    merged.measures = _merge_entries(parent.measures, child.measures)
    # The city's 2018 targets and its own spending (G1-G4) are not the county's; facilitation is inherited.
    merged.lists = {**{k: v for k, v in parent.lists.items() if k == "facilitation.yaml"}, **child.lists}
    merged.files = parent.files + child.files
    merged.texts = {**parent.texts, **child.texts}
    # A county pack's measures apply in its own jurisdictions only, unless it says otherwise.
    for mid, entry in merged.measures.items():
        own = child.measures.get(mid)
        if mid in parent.measures and (own is None or "all_counties" not in own.fields):
            entry.fields.pop("all_counties", None)
    drop = child.meta.get("drop_measures") if child.meta else None
    if drop is not None:
        reader = Reader(drop.file, out)
        for node in reader.sequence(drop.node, "drop_measures（不沿用的措施）") or []:
            mid = node.value if isinstance(node, yaml.ScalarNode) else ""
            if mid in child.measures:
                reader.error(node, "drop_own_measure", f"措施 {mid} 既在 drop_measures 中删除，又在本包中定义")
            elif mid not in merged.measures:
                hint = did_you_mean(mid, parent.measures)
                reader.error(node, "unknown_measure", f"drop_measures 中的措施 {mid} 在上级政策包中不存在。{hint}")
            else:
                del merged.measures[mid]
    return merged


def _pack_id(root: Path) -> str | None:
    try:
        node = yaml.compose((root / PACK_FILE).read_text(encoding="utf-8"), Loader=LOADER)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "id" and isinstance(value, yaml.ScalarNode):
                return str(value.value)
    return None


def find_pack(pack_id: str, search: Iterable[Path]) -> Path | None:
    """The folder of the pack with this id: a folder named so, or any folder whose pack.yaml says so."""
    folders: list[Path] = []
    for base in search:
        if (base / pack_id / PACK_FILE).is_file() and _pack_id(base / pack_id) == pack_id:
            return base / pack_id
        if base.is_dir():
            folders += [p for p in sorted(base.iterdir()) if (p / PACK_FILE).is_file()]
    for folder in folders:
        if _pack_id(folder) == pack_id:
            return folder
    return None


def _read_with_parents(root: Path, search: Sequence[Path], out: Collector, seen: tuple[str, ...] = ()) -> RawPack:
    raw = read_raw(root, out)
    if raw.meta is None:
        return raw
    derives = raw.meta.get("derives_from")
    if derives is None:
        return raw
    reader = Reader(derives.file, out)
    parent_id = reader.text(derives.node, "derives_from（上级政策包编号）")
    if parent_id is None:
        return raw
    own_id = raw.meta.get("id")
    chain = (*seen, own_id.node.value if own_id and isinstance(own_id.node, yaml.ScalarNode) else root.name)
    if parent_id in chain:
        reader.error(derives.node, "derivation_cycle",
                     "政策包的派生关系形成循环：" + " → ".join([*chain, parent_id]))
        return raw
    parent_root = find_pack(parent_id, [root.parent, *search])
    if parent_root is None:
        reader.error(derives.node, "unknown_pack",
                     f"找不到上级政策包 {parent_id}（在 {root.parent} 及内置政策包目录中查找）")
        return raw
    parent = _read_with_parents(parent_root, search, out, chain)
    return merge_raw(parent, raw, out)


# -- checking and building the model ---------------------------------------------------------------------


class Builder:
    def __init__(self, raw: RawPack, out: Collector) -> None:
        self.raw = raw
        self.out = out
        self.clauses: dict[str, Clause] = {}
        self.clause_refs: list[tuple[Reader, yaml.Node, str]] = []
        self.facts: dict[str, FactInfo] = {}
        self.params: dict[str, Parameter] = {}
        self.param_fields: dict[str, Entry] = {}
        self.used_params: set[str] = set()
        self.used_facts: set[str] = set()
        self._reading_kinds: dict[tuple[str, str], tuple[str, ...]] = {}
        self.broken: frozenset[str] = frozenset()

    # -- small helpers

    def reader(self, f: Field | Entry) -> Reader:
        return Reader(f.file, self.out)

    def text(self, entry: Entry, key: str, what: str, *, required: bool = True, default: str = "") -> str:
        f = entry.get(key)
        if f is None:
            if required:
                Reader(entry.file, self.out).error(entry.node, "missing_key", f"{what}缺少必填项 {key}")
            return default
        value = self.reader(f).text(f.node, f"{what}的 {key}")
        return default if value is None else value.strip()

    def texts(self, entry: Entry, key: str, what: str, *, required: bool = False) -> tuple[str, ...]:
        f = entry.get(key)
        if f is None:
            if required:
                Reader(entry.file, self.out).error(entry.node, "missing_key", f"{what}缺少必填项 {key}")
            return ()
        return tuple(self.reader(f).texts(f.node, f"{what}的 {key}") or ())

    def flag(self, entry: Entry, key: str, what: str, default: bool = False) -> bool:
        f = entry.get(key)
        if f is None:
            return default
        value = self.reader(f).flag(f.node, f"{what}的 {key}")
        return default if value is None else value

    def literal(self, f: Field, type_: Type, what: str) -> tuple[bool, Any]:
        return V.literal(self.reader(f), f.node, type_, what)

    def date(self, entry: Entry, key: str, what: str, *, required: bool = True) -> dt.date | None:
        f = entry.get(key)
        if f is None:
            if required:
                Reader(entry.file, self.out).error(entry.node, "missing_key", f"{what}缺少必填项 {key}")
            return None
        if isinstance(f.node, yaml.ScalarNode) and f.node.tag.endswith(":null"):
            return None
        ok, value = self.literal(f, Type.DATE, f"{what}的 {key}")
        return value if ok else None

    def keys(self, entry: Entry, what: str, required: Iterable[str], optional: Iterable[str]) -> None:
        reader = Reader(entry.file, self.out)
        required = list(required)
        allowed = set(required) | set(optional)
        for key in required:
            if key not in entry.fields:
                reader.error(entry.node, "missing_key", f"{what}缺少必填项 {key}")
        for key, f in entry.fields.items():
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                self.reader(f).error(f.key, "unknown_key", f"{what}中有未知的项 {key}。{hint}".rstrip("。") + "。"
                                     if hint else f"{what}中有未知的项 {key}")

    def cite(self, f: Field | None, what: str, *, multiple: bool = False) -> tuple[str, ...]:
        """Clause ids cited by a field; checked once all clauses are known."""
        if f is None:
            return ()
        reader = self.reader(f)
        nodes = [f.node] if isinstance(f.node, yaml.ScalarNode) else reader.sequence(f.node, what) or []
        if not multiple and len(nodes) > 1:
            reader.error(f.node, "bad_type", f"{what}只能引用一个条款")
        ids = []
        for node in nodes:
            cid = reader.text(node, what)
            if cid is not None:
                self.clause_refs.append((reader, node, cid))
                ids.append(cid)
        return tuple(ids)

    def name_ok(self, entry: Entry, what: str) -> bool:
        if not _IDENT.match(entry.name) or entry.name in ("fact", "param"):
            Reader(entry.file, self.out).error(
                entry.node, "bad_name",
                f"{what}名称 {entry.name} 不合规：只能用英文字母、数字和下划线，且不以数字开头（fact、param 为保留字）")
            return False
        return True

    def render(self, f: Field | None, text: str) -> str:
        """Fill ``{param.x}`` in a label with the parameter's current value (a county pack's own value)."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            p = self.params.get(name)
            if p is None:
                if f is not None:
                    hint = did_you_mean(name, self.params)
                    self.reader(f).error(f.node, "unknown_param", f"文字中引用了未知的参数 param.{name}。{hint}")
                return match.group(0)
            self.used_params.add(name)
            return V.show(p.value_on(None), p.type, p.unit, p.shape)

        return _LABEL_PARAM.sub(value, text)

    # -- sections

    def meta(self) -> dict[str, Any] | None:
        entry = self.raw.meta
        if entry is None:
            return None
        what = "pack.yaml "
        own_keys = ["id", "version", "title", "issuer", "document_date", "valid_from"]
        derived = bool(self.raw.parent_label)
        optional = [*own_keys, "valid_to", "effective_from", "derives_from", "drop_measures", "budget_lines",
                    "fiscal_split", "validity", "description", "money_rule"]
        self.keys(entry, what, ["scope"] if derived else ["scope", *own_keys], optional)
        own = self.raw.own_meta
        if own is not None and derived:
            for key in own_keys:
                if key not in own.fields:
                    Reader(own.file, self.out).error(own.node, "missing_key",
                                                     f"派生政策包的 pack.yaml 必须写明自己的 {key}")
        required = not derived  # a county pack's own keys are checked above, with their own message
        meta: dict[str, Any] = {
            "id": self.text(entry, "id", what, required=required),
            "version": self.text(entry, "version", what, required=required),
            "title": self.text(entry, "title", what, required=required),
            "issuer": self.text(entry, "issuer", what, required=required),
            "document_date": self.date(entry, "document_date", what, required=required),
            "valid_from": self.date(entry, "valid_from", what, required=required),
            "valid_to": self.date(entry, "valid_to", what, required=False),
            "effective_from": self.date(entry, "effective_from", what, required=False),
            "derives_from": self.text(entry, "derives_from", what, required=False),
            "drop_measures": self.texts(entry, "drop_measures", what),
        }
        if meta["valid_from"] and meta["valid_to"] and meta["valid_to"] < meta["valid_from"]:
            f = entry.get("valid_to")
            assert f is not None
            self.reader(f).error(f.node, "bad_value", "有效期截止日 valid_to 早于起始日 valid_from")
        # S1 scope
        meta["jurisdictions"] = {}
        meta["scope_note"] = ""
        meta["scope_exceptions"] = ""
        meta["validity_note"] = ""
        meta["money_rule"] = self.text(entry, "money_rule", what, required=False)
        scope = entry.get("scope")
        if scope is not None:
            reader = self.reader(scope)
            sub = _entry(scope.file, "scope", scope.key, scope.node, reader, "适用范围 scope ")
            if sub is not None:
                self.keys(sub, "适用范围 scope ", ["jurisdictions", "note"], ["clause", "exceptions"])
                self.cite(sub.get("clause"), "适用范围的依据条款")
                meta["scope_note"] = self.text(sub, "note", "适用范围 scope ")
                meta["scope_exceptions"] = self.text(sub, "exceptions", "适用范围 scope ", required=False)
                j = sub.get("jurisdictions")
                if j is not None:
                    jr = self.reader(j)
                    mapping = jr.mapping(j.node, "适用的行政区划 jurisdictions（代码: 名称）") or {}
                    known = county_codes()
                    for code, (knode, vnode) in mapping.items():
                        if code not in known:
                            jr.error(knode, "unknown_jurisdiction",
                                     f"行政区划代码 {code} 不是丽水市、所辖县（市、区）或开发区的代码。"
                                     + did_you_mean(code, known))
                        meta["jurisdictions"][code] = jr.text(vnode, f"区划 {code} 的名称") or known.get(code, "")
                    if not mapping:
                        jr.error(j.node, "bad_value", "适用范围至少要有一个行政区划")
        validity = entry.get("validity")
        if validity is not None:
            sub = _entry(validity.file, "validity", validity.key, validity.node, self.reader(validity),
                         "有效期 validity ")
            if sub is not None:
                self.keys(sub, "有效期 validity ", [], ["clause", "note"])
                self.cite(sub.get("clause"), "有效期的依据条款")
                meta["validity_note"] = self.text(sub, "note", "有效期 validity ", required=False)
        return meta

    def build_clauses(self) -> None:
        documents = self.raw.documents
        for cid, entry in self.raw.clauses.items():
            what = f"条款 {cid} "
            self.keys(entry, what, ["text"], ["title", "responsible", "cooperating", "note"])
            text = self.text(entry, "text", what)
            clause = Clause(cid, text, self.texts(entry, "responsible", what), self.texts(entry, "cooperating", what),
                            self.text(entry, "title", what, required=False))
            self.clauses[cid] = clause
            if documents and text and not any(text in d for d in documents):
                f = entry.get("text")
                assert f is not None
                best = max(_common_prefix(text, d) for d in documents)
                self.reader(f).error(
                    f.node, "clause_text",
                    f"条款 {cid} 的原文与文件原文（document.yaml）不一致：前 {best} 个字相同，"
                    f"从“{text[best:best + 12]}”起不同。条款原文必须逐字照录")

    def build_facts(self) -> None:
        for name, entry in self.raw.facts.items():
            what = f"事实 {name} "
            if not self.name_ok(entry, "事实"):
                continue
            self.keys(entry, what, ["type", "label", "domain"], ["unit", "description", "default"])
            type_ = self._type(entry, what)
            domain = self.text(entry, "domain", what)
            if domain and domain not in DOMAINS:
                f = entry.get("domain")
                assert f is not None
                self.reader(f).error(f.node, "unknown_domain",
                                     f"事实 {name} 的提供方 domain: {domain} 不存在。{did_you_mean(domain, DOMAINS)}"
                                     f"可用：{'、'.join(DOMAINS)}")
            default = None
            f = entry.get("default")
            if f is not None and type_ is not None:
                _, default = self.literal(f, type_, f"{what}的默认值 default")
            if type_ is None:
                continue
            unit = self.text(entry, "unit", what, required=False, default="元" if type_ is Type.MONEY else "")
            self.facts[name] = FactInfo(name, type_, self.text(entry, "label", what), unit, domain,
                                        self.text(entry, "description", what, required=False), default,
                                        entry.file.name, pos(entry.node)[0])

    def _type(self, entry: Entry, what: str) -> Type | None:
        f = entry.get("type")
        if f is None:
            return None
        name = self.reader(f).text(f.node, f"{what}的类型 type")
        if name is None:
            return None
        try:
            return Type.parse(name)
        except ValueError:
            self.reader(f).error(f.node, "bad_type",
                                 f"{what}的类型 {name} 不存在：可用 Money（金额）、Decimal（小数、比例）、"
                                 "Integer（整数）、Bool（是否）、Date（日期）")
            return None

    def build_params(self) -> None:
        for name, entry in self.raw.params.items():
            what = f"参数 {name} "
            if not self.name_ok(entry, "参数"):
                continue
            self.keys(entry, what, ["type", "label"],
                      ["unit", "clause", "source", "shape", "value", "values", "unset", "description", "reading",
                       "flag"])
            param = self._param(name, entry, what)
            if param is not None:
                self.params[name] = param
                self.param_fields[name] = entry

    def _param(self, name: str, entry: Entry, what: str) -> Parameter | None:
        type_ = self._type(entry, what)
        if type_ is None:
            return None
        shape_field = entry.get("shape")
        shape: ParamShape | None = None
        if shape_field is not None:
            text = self.reader(shape_field).text(shape_field.node, f"{what}的 shape")
            try:
                shape = ParamShape(text)
            except ValueError:
                self.reader(shape_field).error(shape_field.node, "bad_value",
                                               f"{what}的 shape 应为 value（单个值）、dated（按日期生效）或 "
                                               "schedule（按年度的时间表）")
                return None
        value_f, values_f = entry.get("value"), entry.get("values")
        unset = self.flag(entry, "unset", what)
        if shape is None:
            if values_f is not None:
                shape = ParamShape.DATED
            elif value_f is not None and isinstance(value_f.node, yaml.SequenceNode):
                shape = ParamShape.SCHEDULE
            else:
                shape = ParamShape.VALUE
        reader = Reader(entry.file, self.out)
        versions: list[ParameterVersion] = []
        if unset:
            for f in (value_f, values_f):
                if f is not None:
                    self.reader(f).error(f.key, "bad_value", f"{what}标明 unset: true（待填写），不能同时给出取值")
        elif value_f is not None and values_f is not None:
            self.reader(values_f).error(values_f.key, "bad_value",
                                        f"{what}只能写 value（单个值）或 values（按日期的多个值）之一")
        elif shape is ParamShape.DATED:
            if values_f is None:
                at = value_f.key if value_f is not None else entry.node
                reader.error(at, "param_no_date",
                             f"{what}按日期生效（shape: dated），必须用 values 逐条写出每个值及其生效日期 from，例如\n"
                             "  values:\n    - {from: 2015-10-24, value: 4.35%}")
            else:
                versions = self._dated_values(values_f, type_, what)
        elif values_f is not None:
            self.reader(values_f).error(values_f.key, "bad_value",
                                        f"{what}的 values（按日期生效的多个值）只能用于 shape: dated 的参数")
        elif value_f is None:
            reader.error(entry.node, "missing_value",
                         f"{what}缺少取值：请写 value，或按日期生效时写 values；"
                         "由外部规定确定、暂未填写时写 unset: true")
        elif shape is ParamShape.SCHEDULE:
            ok, sched = V.schedule(self.reader(value_f), value_f.node, type_, what)
            if ok:
                if type_ not in (Type.MONEY, Type.DECIMAL, Type.INTEGER):
                    self.reader(value_f).error(value_f.node, "bad_type", f"{what}是时间表，时间表的值必须是金额或数")
                versions = [ParameterVersion(None, sched)]
        else:
            if isinstance(value_f.node, yaml.SequenceNode):
                self.reader(value_f).error(value_f.node, "bad_type",
                                           f"{what}的取值是列表：按年度的时间表请写 shape: schedule")
            else:
                ok, value = self.literal(value_f, type_, what)
                if ok:
                    versions = [ParameterVersion(None, value)]
        unit = self.text(entry, "unit", what, required=False, default="元" if type_ is Type.MONEY else "")
        if type_ is Type.MONEY and unit != "元":
            f = entry.get("unit")
            assert f is not None
            self.reader(f).error(f.node, "bad_unit", f"{what}是金额，单位只能是 元（万元请写进取值：5万元）")
        clause = self.cite(entry.get("clause"), f"{what}的依据条款")
        source = self.text(entry, "source", what, required=False)
        if not clause and not source:
            reader.error(entry.node, "missing_key",
                         f"{what}需注明出处：clause（政策条款编号）或 source（外部来源，例如人民银行公告）")
        reading: str = ""
        alternatives: tuple[tuple[Any, str], ...] = ()
        rf = entry.get("reading")
        if rf is not None:
            reading, alternatives = self._reading(rf, type_, what)
        # A parameter whose value has an error is still declared, so formulas using it get no second error.
        return Parameter(name, type_, shape, self.text(entry, "label", what), unit, clause[0] if clause else "",
                         tuple(versions), self.text(entry, "description", what, required=False), source,
                         reading, alternatives, unset, self.text(entry, "flag", what, required=False),
                         entry.file.name, pos(entry.node)[0])

    def _dated_values(self, f: Field, type_: Type, what: str) -> list[ParameterVersion]:
        reader = self.reader(f)
        items = reader.sequence(f.node, f"{what}的 values")
        versions: list[ParameterVersion] = []
        previous: tuple[dt.date, yaml.Node] | None = None
        for i, item in enumerate(items or [], start=1):
            sub = _entry(f.file, f"{i}", item, item, reader, f"{what}第 {i} 个取值 ")
            if sub is None:
                continue
            if "from" not in sub.fields:
                reader.error(item, "param_no_date",
                             f"{what}第 {i} 个取值缺少生效日期 from（按日期生效的参数每个值都要有生效日期）")
            self.keys(sub, f"{what}第 {i} 个取值 ", ["value"], ["from", "source", "note"])
            start = self.date(sub, "from", f"{what}第 {i} 个取值 ", required=False)
            vf = sub.get("value")
            ok, value = self.literal(vf, type_, f"{what}第 {i} 个取值") if vf is not None else (False, None)
            if start is not None and previous is not None and start <= previous[0]:
                reader.error(sub.fields["from"].node, "param_dates",
                             f"{what}的生效日期必须逐条递增：{start.isoformat()} "
                             f"不晚于上一条的 {previous[0].isoformat()}")
            if start is not None:
                previous = (start, item)
            if ok and start is not None:
                versions.append(ParameterVersion(start, value, self.text(sub, "source", what, required=False)))
        if items is not None and not items:
            reader.error(f.node, "param_no_date", f"{what}的 values 至少要有一个带生效日期的值")
        return versions

    def _reading(self, f: Field, type_: Type, what: str) -> tuple[str, tuple[tuple[Any, str], ...]]:
        reader = self.reader(f)
        sub = _entry(f.file, "reading", f.key, f.node, reader, f"{what}的 reading ")
        if sub is None:
            return "", ()
        self.keys(sub, f"{what}的 reading ", ["text", "alternatives"], [])
        text = self.text(sub, "text", f"{what}的 reading ")
        alternatives: list[tuple[Any, str]] = []
        af = sub.get("alternatives")
        if af is not None:
            for i, item in enumerate(reader.sequence(af.node, f"{what}的其他读法 alternatives") or [], start=1):
                alt = _entry(f.file, str(i), item, item, reader, f"{what}的第 {i} 种其他读法 ")
                if alt is None:
                    continue
                self.keys(alt, f"{what}的第 {i} 种其他读法 ", ["value", "text"], [])
                vf = alt.get("value")
                ok, value = self.literal(vf, type_, f"{what}的其他读法") if vf is not None else (False, None)
                if ok:
                    alternatives.append((value, self.text(alt, "text", f"{what}的其他读法 ")))
        return text, tuple(alternatives)

    # -- formulas and measures

    def formula_sources(self) -> list[FormulaSource]:
        sources: list[FormulaSource] = []
        where: dict[str, str] = {}

        def add(name: str, key: yaml.Node, node: yaml.Node, file: YamlFile, owner: str) -> None:
            reader = Reader(file, self.out)
            if not _IDENT.match(name) or name in ("fact", "param"):
                reader.error(key, "bad_name", f"公式名称 {name} 不合规：只能用英文字母、数字和下划线，且不以数字开头")
                return
            if name in where:
                reader.error(key, "duplicate", f"公式 {name} 重复定义（第一次定义在 {where[name]}）")
                return
            label: str | None = None
            expected: Type | None = None
            expr_node = node
            if isinstance(node, yaml.MappingNode):
                sub = _entry(file, name, key, node, reader, f"公式 {name} ")
                if sub is None:
                    return
                self.keys(sub, f"公式 {name} ", ["expr"], ["label", "type"])
                label = self.text(sub, "label", f"公式 {name} ", required=False) or None
                if "type" in sub.fields:
                    expected = self._type(sub, f"公式 {name} ")
                if "expr" not in sub.fields:
                    return
                expr_node = sub.fields["expr"].node
            if not isinstance(expr_node, yaml.ScalarNode) or not expr_node.value.strip():
                reader.error(expr_node, "bad_type", f"公式 {name} 应为一个表达式")
                return
            text, line, column = expression_source(file, expr_node)
            kline, kcol = pos(key)
            where[name] = f"{file.name} 第 {kline} 行"
            sources.append(FormulaSource(name, label, text, file.name, line, column, kline, kcol, expected))

        for name, shared in self.raw.formulas.items():
            add(name, shared.key, shared.node, shared.file, "formulas.yaml")
        for mid, entry in self.raw.measures.items():
            f = entry.get("formulas")
            if f is None:
                continue
            mapping = self.reader(f).mapping(f.node, f"措施 {mid} 的公式 formulas")
            for name, (key, node) in (mapping or {}).items():
                add(name, key, node, f.file, mid)
        return sources

    def build_measure(self, mid: str, entry: Entry, program: Any, needs: Needs,
                      budget_lines: dict[str, BudgetLineInfo]) -> Measure | None:
        what = f"措施 {mid} "
        self.keys(entry, what,
                  ["id", "title", "clauses", "beneficiary", "beneficiary_kinds", "conditions", "amount", "recurrence",
                   "budget_line", "funding", "evidence"],
                  ["summary", "formulas", "caps", "external", "all_counties", "notes", "asset_fact"])
        if not re.fullmatch(r"[A-Z]{1,3}\d{2,3}", mid):
            Reader(entry.file, self.out).error(entry.node, "bad_name", f"措施编号 {mid} 应为字母加数字，例如 M03、JY01")
        title = self.text(entry, "title", what)
        clauses = self.cite(entry.get("clauses"), f"{what}的依据条款", multiple=True)
        kinds = self.texts(entry, "beneficiary_kinds", what, required=False)
        known_kinds = beneficiary_kinds()
        kf = entry.get("beneficiary_kinds")
        for kind in kinds:
            if kind not in known_kinds and kf is not None:
                self.reader(kf).error(kf.node, "unknown_kind",
                                      f"{what}的支持对象类型 {kind} 不存在。{did_you_mean(kind, known_kinds)}"
                                      f"可用：{'、'.join(f'{k}（{v}）' for k, v in known_kinds.items())}")
        recurrence = self.text(entry, "recurrence", what)
        if recurrence and recurrence not in RECURRENCES:
            f = entry.get("recurrence")
            assert f is not None
            self.reader(f).error(f.node, "bad_value",
                                 f"{what}的 recurrence 应为 "
                                 + "、".join(f"{k}（{v}）" for k, v in RECURRENCES.items()))
        budget_line = self.text(entry, "budget_line", what)
        if budget_line and budget_line not in BUDGET_LINES:
            f = entry.get("budget_line")
            assert f is not None
            self.reader(f).error(f.node, "bad_value",
                                 f"{what}的 budget_line 应为 general（一般）、rural（农村）或 none")
        elif budget_line in ("general", "rural") and budget_lines and budget_line not in budget_lines:
            f = entry.get("budget_line")
            assert f is not None
            self.reader(f).error(f.node, "unknown_budget_line",
                                 f"{what}的资金渠道 {budget_line} 未在 pack.yaml 的 budget_lines 中定义")

        conditions = self._conditions(mid, entry, program, what)
        amount: CompiledExpression | None = None
        amount_text = ""
        af = entry.get("amount")
        if af is not None:
            if isinstance(af.node, yaml.ScalarNode) and af.node.value.strip():
                text, line, column = expression_source(af.file, af.node)
                amount_text = " ".join(af.node.value.split())
                try:
                    amount = compile_in_program(program, text, expected=Type.MONEY, source=af.file.name,
                                                line=line, column=column, broken=self.broken)
                except LangError as exc:
                    self.out.lang(exc)
                except Untyped:
                    pass
            else:
                self.reader(af).error(af.node, "bad_type", f"{what}的金额 amount 应为一个表达式（结果是金额）")
        asset_fact = self.text(entry, "asset_fact", what, required=False)
        if recurrence == "per_asset" and not asset_fact:
            Reader(entry.file, self.out).error(entry.node, "missing_key",
                                               f"{what}按每个资产一次（recurrence: per_asset），必须用 asset_fact "
                                               "指明哪个事实标识该园区、中心、仓库或软件")
        elif asset_fact and asset_fact not in self.facts:
            af = entry.get("asset_fact")
            assert af is not None
            self.reader(af).error(af.node, "unknown_fact", f"{what}的 asset_fact 引用了未知的事实 {asset_fact}。"
                                  + did_you_mean(asset_fact, self.facts))
        caps = self._caps(mid, entry, what, asset_fact)
        funding = self._funding(mid, entry, what)
        external = self._external(mid, entry, what)
        evidence = self.texts(entry, "evidence", what)
        if "evidence" in entry.fields and not evidence:
            f = entry.get("evidence")
            assert f is not None
            self.reader(f).error(f.node, "bad_value", f"{what}的申报材料 evidence 不能为空")
        if amount is None or len(conditions) != len(self._condition_nodes(entry)) or recurrence not in RECURRENCES:
            return None

        used: dict[str, set[str]] = {"facts": set(), "all_facts": set(), "params": set(), "formulas": set()}
        closables = [c.closable for c in conditions if c.closable is not None]
        for expr in [c.expr for c in conditions] + closables + [amount]:
            for k, v in needs.of(expr).items():
                used[k] |= v
        params = used["params"] | {c.param for c in caps} | {c.reading for c in caps if c.reading}
        if external is not None:
            params.add(external.param)
        self.used_params |= params
        self.used_facts |= used["all_facts"] | {c.asset_fact for c in caps if c.asset_fact}
        if asset_fact:
            self.used_facts.add(asset_fact)
        for cap_kind in ("per_year", "lifetime", "per_asset"):
            # every kind a cap may take (a reading may switch it), so its received fact counts as used
            if any(c.kind == cap_kind or (c.reading and cap_kind in self._reading_kinds.get((mid, c.param), ()))
                   for c in caps):
                self.used_facts.add(received_fact_name(mid, cap_kind))
        if funding.includes_provincial:
            self.used_facts.add(provincial_fact_name(mid))
        own_formulas: tuple[str, ...] = ()
        ff = entry.get("formulas")
        if ff is not None and isinstance(ff.node, yaml.MappingNode):
            own_formulas = tuple(k.value for k, _ in ff.node.value if isinstance(k, yaml.ScalarNode))
        return Measure(
            id=mid, title=title, clauses=clauses,
            beneficiary=self.text(entry, "beneficiary", what),
            beneficiary_kinds=kinds,
            facts=tuple(sorted(used["facts"])),
            conditions=tuple(conditions), amount=amount, caps=tuple(caps),
            recurrence=recurrence,  # type: ignore[arg-type]
            budget_line=budget_line,  # type: ignore[arg-type]
            funding=funding, evidence=evidence, external=external,
            all_counties=self.flag(entry, "all_counties", what),
            summary=self.render(entry.get("summary"), self.text(entry, "summary", what, required=False)),
            all_facts=tuple(sorted(used["all_facts"])), params=tuple(sorted(params)),
            formulas=own_formulas, amount_text=amount_text, asset_fact=asset_fact,
            notes=self.text(entry, "notes", what, required=False), file=entry.file.name, line=pos(entry.node)[0],
        )

    def _condition_nodes(self, entry: Entry) -> list[yaml.Node]:
        f = entry.get("conditions")
        if f is None or not isinstance(f.node, yaml.SequenceNode):
            return []
        return list(f.node.value)

    def _conditions(self, mid: str, entry: Entry, program: Any, what: str) -> list[Condition]:
        f = entry.get("conditions")
        if f is None:
            return []
        reader = self.reader(f)
        items = reader.sequence(f.node, f"{what}的条件 conditions")
        if items is not None and not items:
            reader.error(f.node, "bad_value", f"{what}至少要有一个条件")
        conditions: list[Condition] = []
        names: dict[str, int] = {}
        for i, item in enumerate(items or [], start=1):
            sub = _entry(f.file, str(i), item, item, reader, f"{what}的第 {i} 个条件 ")
            if sub is None:
                continue
            cwhat = f"{what}的第 {i} 个条件 "
            self.keys(sub, cwhat, ["name", "label", "expr", "hint"], ["closable"])
            name = self.text(sub, "name", cwhat)
            if name and not _IDENT.match(name):
                nf = sub.get("name")
                assert nf is not None
                reader.error(nf.node, "bad_name", f"条件名称 {name} 只能用英文字母、数字和下划线")
            if name in names:
                nf = sub.get("name")
                assert nf is not None
                reader.error(nf.node, "duplicate", f"{what}的条件名称 {name} 重复（第 {names[name]} 个条件已用）")
            names[name] = i
            label = self.render(sub.get("label"), self.text(sub, "label", cwhat))
            hint = self.render(sub.get("hint"), self.text(sub, "hint", cwhat))
            ef = sub.get("expr")
            if ef is None:
                continue
            if not isinstance(ef.node, yaml.ScalarNode) or not ef.node.value.strip():
                reader.error(ef.node, "bad_type", f"{cwhat}的 expr 应为一个表达式（结果是真假值）")
                continue
            text, line, column = expression_source(ef.file, ef.node)
            try:
                expr = compile_in_program(program, text, expected=Type.BOOL, source=ef.file.name, line=line,
                                          column=column, broken=self.broken)
            except LangError as exc:
                self.out.lang(exc)
                continue
            except Untyped:
                continue
            closable = self._closable(program, sub.get("closable"), cwhat)
            conditions.append(Condition(name, label, expr, " ".join(ef.node.value.split()), hint, closable))
        return conditions

    def _closable(self, program: Any, f: Field | None, what: str) -> CompiledExpression | None:
        """``closable``: whether an entity that fails the condition could still meet it in the period (a Bool
        expression, or false for conditions such as "not received before"): 差一点 counts only those."""
        if f is None:
            return None
        if not isinstance(f.node, yaml.ScalarNode) or not f.node.value.strip():
            self.reader(f).error(f.node, "bad_type", f"{what}的 closable 应为 true、false 或一个真假值表达式")
            return None
        text, line, column = expression_source(f.file, f.node)
        try:
            return compile_in_program(program, text, expected=Type.BOOL, source=f.file.name, line=line,
                                      column=column, broken=self.broken)
        except LangError as exc:
            self.out.lang(exc)
        except Untyped:
            pass
        return None

    def _caps(self, mid: str, entry: Entry, what: str, measure_asset: str) -> list[Cap]:
        f = entry.get("caps")
        if f is None:
            return []
        reader = self.reader(f)
        caps = []
        for i, item in enumerate(reader.sequence(f.node, f"{what}的上限 caps") or [], start=1):
            cwhat = f"{what}的第 {i} 个上限 "
            sub = _entry(f.file, str(i), item, item, reader, cwhat)
            if sub is None:
                continue
            self.keys(sub, cwhat, ["kind", "param", "label"], ["asset_fact"])
            kind, reading = self._cap_kind(sub, cwhat)
            pname = self.text(sub, "param", cwhat)
            pf = sub.get("param")
            param = self.params.get(pname)
            if pf is not None and pname:
                if pname not in self.params:
                    if pname not in self.raw.params:
                        reader.error(pf.node, "unknown_param", f"{cwhat}引用了未知的参数 {pname}。"
                                     + did_you_mean(pname, self.params))
                elif param is not None and param.type is not Type.MONEY:
                    reader.error(pf.node, "cap_not_money",
                                 f"上限必须是金额参数，而参数 {pname}（{param.label}）是{param.type.described}")
                elif param is not None and param.shape is not ParamShape.VALUE:
                    reader.error(pf.node, "cap_shape", f"上限参数 {pname} 必须是单个金额（不能是时间表或按日期生效）")
                elif param is not None and param.unset:
                    reader.error(pf.node, "cap_unset", f"上限参数 {pname} 尚未设定取值")
            asset_fact = self.text(sub, "asset_fact", cwhat, required=False)
            if kind == "per_asset" and not asset_fact:
                asset_fact = measure_asset
            if kind == "per_asset" and not asset_fact:
                reader.error(item, "missing_key",
                             f"{cwhat}按资产计（per_asset），必须用 asset_fact 指明哪个事实标识该资产")
            if asset_fact and asset_fact not in self.facts:
                af = sub.get("asset_fact")
                assert af is not None
                reader.error(af.node, "unknown_fact", f"{cwhat}的 asset_fact 引用了未知的事实 {asset_fact}。"
                             + did_you_mean(asset_fact, self.facts))
            kinds = [kind] if reading is None else list(reading[1].values())
            self._reading_kinds[(mid, pname)] = tuple(k for k in kinds if k)
            for k in kinds:
                if k in RECEIVED_SUFFIX and received_fact_name(mid, k) not in self.facts:
                    reader.error(item, "missing_received_fact",
                                 f"{cwhat}需要知道已获金额：请在 facts.yaml 声明事实 {received_fact_name(mid, k)}"
                                 f"（Money，domain: funds，default: 0 元）")
            label = self.text(sub, "label", cwhat)
            if kind is None or param is None or param.type is not Type.MONEY:
                continue
            caps.append(Cap(kind, pname, self.render(sub.get("label"), label), asset_fact,  # type: ignore[arg-type]
                            reading[0] if reading else "", tuple(reading[1].items()) if reading else ()))
        return caps

    def _cap_kind(self, sub: Entry, what: str) -> tuple[str | None, tuple[str, dict[bool, str]] | None]:
        f = sub.get("kind")
        if f is None:
            return None, None
        reader = self.reader(f)
        if isinstance(f.node, yaml.ScalarNode):
            kind = f.node.value
            if kind not in CAP_KINDS:
                reader.error(f.node, "bad_value",
                             f"{what}的 kind 应为 " + "、".join(f"{k}（{v}）" for k, v in CAP_KINDS.items()))
                return None, None
            return kind, None
        # chosen by a reading: {reading: m03_cap_cumulative, "true": lifetime, "false": per_year}
        mapping = reader.mapping(f.node, f"{what}的 kind") or {}
        rf = mapping.get("reading")
        if rf is None or "true" not in mapping or "false" not in mapping:
            reader.error(f.node, "bad_value",
                         f"{what}的 kind 由读法决定时写成 {{reading: 参数名, true: 种类, false: 种类}}")
            return None, None
        pname = rf[1].value
        param = self.params.get(pname)
        if param is None or param.type is not Type.BOOL or param.shape is not ParamShape.VALUE:
            reader.error(rf[1], "bad_reading",
                         f"{what}的 kind 由参数 {pname} 决定，该参数必须是已声明的真假值（Bool）参数")
            return None, None
        choice = {True: mapping["true"][1].value, False: mapping["false"][1].value}
        for node in (mapping["true"][1], mapping["false"][1]):
            if node.value not in CAP_KINDS:
                reader.error(node, "bad_value", f"{what}的 kind 应为 " + "、".join(CAP_KINDS))
                return None, None
        return choice[bool(param.value_on(None))], (pname, choice)

    def _funding(self, mid: str, entry: Entry, what: str) -> Funding:
        f = entry.get("funding")
        if f is None:
            return Funding()
        sub = _entry(f.file, "funding", f.key, f.node, self.reader(f), f"{what}的 funding ")
        if sub is None:
            return Funding()
        fwhat = f"{what}的资金 funding "
        self.keys(sub, fwhat, ["bearer"], ["includes_provincial", "not_duplicated_group", "note"])
        bearer = self.text(sub, "bearer", fwhat)
        if bearer and bearer not in BEARERS:
            bf = sub.get("bearer")
            assert bf is not None
            self.reader(bf).error(bf.node, "bad_value",
                                  f"{fwhat}的 bearer 应为 city（市级财政承担）或 shared（市、区分担）")
            bearer = "shared"
        provincial = self.flag(sub, "includes_provincial", fwhat)
        if provincial and provincial_fact_name(mid) not in self.facts:
            pf = sub.get("includes_provincial")
            assert pf is not None
            self.reader(pf).error(pf.node, "missing_provincial_fact",
                                  f"{mid} 含省级补助资金：请在 facts.yaml 声明事实 {provincial_fact_name(mid)}"
                                  "（已获省级补助，Money，domain: funds，default: 0 元）")
        return Funding(bearer or "shared", provincial,  # type: ignore[arg-type]
                       self.text(sub, "not_duplicated_group", fwhat, required=False),
                       self.text(sub, "note", fwhat, required=False))

    def _external(self, mid: str, entry: Entry, what: str) -> External | None:
        f = entry.get("external")
        if f is None or (isinstance(f.node, yaml.ScalarNode) and f.node.tag.endswith(":null")):
            return None
        sub = _entry(f.file, "external", f.key, f.node, self.reader(f), f"{what}的 external ")
        if sub is None:
            return None
        ewhat = f"{what}的外部规定 external "
        self.keys(sub, ewhat, ["reference", "param"], ["note"])
        pname = self.text(sub, "param", ewhat)
        if pname and pname not in self.params and pname not in self.raw.params:
            pf = sub.get("param")
            assert pf is not None
            self.reader(pf).error(pf.node, "unknown_param", f"{ewhat}引用了未知的参数 {pname}。"
                                  + did_you_mean(pname, self.params))
        return External(self.text(sub, "reference", ewhat), pname, self.text(sub, "note", ewhat, required=False))

    # -- lists: targets, facilitation, government items, budget lines

    def targets(self) -> tuple[Target, ...]:
        item = self.raw.lists.get("targets.yaml")
        if item is None:
            return ()
        file, root = item
        reader = Reader(file, self.out)
        return tuple(t for node in reader.sequence(root, "targets.yaml（目标列表）") or []
                     if (t := self._target(reader, node, None)) is not None)

    def _target(self, reader: Reader, node: yaml.Node, parent: Target | None) -> Target | None:
        sub = _entry(reader.file, "target", node, node, reader, "目标 ")
        if sub is None:
            return None
        tid = self.text(sub, "id", "目标 ")
        what = f"目标 {tid} "
        self.keys(sub, what, ["id"] + (["clause", "text"] if parent is None else ["label"]),
                  ["year", "indicator", "label", "type", "value", "max", "unit", "comparison", "parts", "by_county",
                   "text", "clause"])
        clause = self.cite(sub.get("clause"), f"{what}的依据条款")
        type_ = self._type(sub, what) if "type" in sub.fields else Type.INTEGER
        value = maximum = None
        for key in ("value", "max"):
            f = sub.get(key)
            if f is not None and type_ is not None:
                ok, v = self.literal(f, type_, f"{what}的 {key}")
                if key == "value":
                    value = v
                else:
                    maximum = v
        comparison = self.text(sub, "comparison", what, required=False, default=">=")
        if comparison not in (">=", ">", "=="):
            f = sub.get("comparison")
            assert f is not None
            self.reader(f).error(f.node, "bad_value", f"{what}的 comparison 应为 >=（达到）、>（突破）或 ==（完成）")
        year_f = sub.get("year")
        year = parent.year if parent is not None else 2018
        if year_f is not None:
            ok, y = self.literal(year_f, Type.INTEGER, f"{what}的 year")
            year = y if ok else year
        by_county: dict[str, Any] = dict.fromkeys(county_codes())
        bf = sub.get("by_county")
        if bf is not None and type_ is not None:
            breader = self.reader(bf)
            for code, (knode, vnode) in (breader.mapping(bf.node, f"{what}的分县目标 by_county") or {}).items():
                if code not in by_county:
                    breader.error(knode, "unknown_jurisdiction", f"{what}的分县目标中 {code} 不是县（市、区）代码")
                    continue
                if isinstance(vnode, yaml.ScalarNode) and vnode.tag.endswith(":null"):
                    continue
                ok, v = V.literal(breader, vnode, type_, f"{what}在 {code} 的目标")
                by_county[code] = v if ok else None
        target = Target(tid, clause[0] if clause else (parent.clause if parent else ""),
                        self.text(sub, "text", what, required=False) or (parent.text if parent else ""),
                        self.text(sub, "indicator", what, required=False), value,
                        self.text(sub, "unit", what, required=False), year,
                        self.text(sub, "label", what, required=False), comparison, maximum, (), by_county)
        pf = sub.get("parts")
        if pf is not None:
            preader = self.reader(pf)
            parts = tuple(t for n in preader.sequence(pf.node, f"{what}的分项 parts") or []
                          if (t := self._target(preader, n, target)) is not None)
            target = dataclasses.replace(target, parts=parts)
        return target

    def facilitation(self) -> tuple[Facilitation, ...]:
        item = self.raw.lists.get("facilitation.yaml")
        if item is None:
            return ()
        file, root = item
        reader = Reader(file, self.out)
        out = []
        for node in reader.sequence(root, "facilitation.yaml（非资金类措施列表）") or []:
            sub = _entry(file, "f", node, node, reader, "非资金类措施 ")
            if sub is None:
                continue
            what = "非资金类措施 "
            self.keys(sub, what, ["clause", "title", "text"], ["related_measures"])
            clause = self.cite(sub.get("clause"), f"{what}的依据条款")
            related = self.texts(sub, "related_measures", what)
            for mid in related:
                if mid not in self.raw.measures:
                    rf = sub.get("related_measures")
                    assert rf is not None
                    self.reader(rf).error(rf.node, "unknown_measure", f"{what}引用了不存在的措施 {mid}")
            cid = clause[0] if clause else ""
            out.append(Facilitation(cid, self.text(sub, "text", what), self.text(sub, "title", what),
                                    (), related))
        return tuple(out)

    def government_items(self) -> tuple[GovernmentItem, ...]:
        item = self.raw.lists.get("government.yaml")
        if item is None:
            return ()
        file, root = item
        reader = Reader(file, self.out)
        out = []
        for node in reader.sequence(root, "government.yaml（政府购买服务与工作经费）") or []:
            sub = _entry(file, "g", node, node, reader, "政府资金项目 ")
            if sub is None:
                continue
            gid = self.text(sub, "id", "政府资金项目 ")
            what = f"政府资金项目 {gid} "
            self.keys(sub, what, ["id", "clauses", "title", "text", "budget_line"], [])
            clauses = self.cite(sub.get("clauses"), f"{what}的依据条款", multiple=True)
            out.append(GovernmentItem(gid, clauses[0] if clauses else "", self.text(sub, "title", what),
                                      self.text(sub, "text", what), self.text(sub, "budget_line", what)))
        return tuple(out)

    def budget_lines(self) -> dict[str, BudgetLineInfo]:
        entry = self.raw.meta
        f = entry.get("budget_lines") if entry else None
        if f is None:
            return {}
        reader = self.reader(f)
        lines: dict[str, BudgetLineInfo] = {}
        for lid, (key, node) in (reader.mapping(f.node, "资金渠道 budget_lines") or {}).items():
            sub = _entry(f.file, lid, key, node, reader, f"资金渠道 {lid} ")
            if sub is None:
                continue
            what = f"资金渠道 {lid} "
            self.keys(sub, what, ["label", "amount", "clause"], ["part_of", "managed_by"])
            pname = self.text(sub, "amount", what)
            self._money_param(sub.get("amount"), pname, what)
            clause = self.cite(sub.get("clause"), f"{what}的依据条款")
            lines[lid] = BudgetLineInfo(lid, self.text(sub, "label", what), pname, clause[0] if clause else "",
                                        self.text(sub, "part_of", what, required=False),
                                        self.texts(sub, "managed_by", what))
        for line in lines.values():
            if line.part_of and line.part_of not in lines:
                reader.error(f.node, "unknown_budget_line", f"资金渠道 {line.id} 的 part_of: {line.part_of} 不存在")
        return lines

    def _money_param(self, f: Field | None, pname: str, what: str, type_: Type = Type.MONEY) -> None:
        if f is None or not pname:
            return
        param = self.params.get(pname)
        if param is None:
            if pname not in self.raw.params:
                self.reader(f).error(f.node, "unknown_param", f"{what}引用了未知的参数 {pname}。"
                                     + did_you_mean(pname, self.params))
            return
        if param.type is not type_:
            self.reader(f).error(f.node, "bad_type", f"{what}引用的参数 {pname} 应为{type_.described}，"
                                 f"而它是{param.type.described}")
        self.used_params.add(pname)

    def fiscal_split(self, jurisdictions: dict[str, str]) -> dict[str, str]:
        entry = self.raw.meta
        f = entry.get("fiscal_split") if entry else None
        if f is None:
            return {}
        reader = self.reader(f)
        split: dict[str, str] = {}
        for code, (key, node) in (reader.mapping(f.node, "财政分担 fiscal_split（区划代码: 参数）") or {}).items():
            pname = reader.text(node, f"{code} 的市级财政分担比例参数") or ""
            self._money_param(Field(f.file, key, node), pname, f"财政分担 {code} ", Type.DECIMAL)
            if code != "others" and code not in jurisdictions and code not in county_codes():
                reader.error(key, "unknown_jurisdiction", f"财政分担中的 {code} 不是区划代码（其他县写 others）")
            split["*" if code == "others" else code] = pname
        for code in jurisdictions:
            if code not in split:
                reader.error(f.node, "missing_key", f"财政分担 fiscal_split 缺少适用区划 {code} 的市级分担比例")
        return split

    # -- the whole pack

    def build(self) -> Pack | None:
        meta = self.meta()
        self.build_clauses()
        self.build_facts()
        self.build_params()
        symbols = SymbolTable(
            facts={n: FactDecl(f.type, f.label) for n, f in self.facts.items()},
            params={n: ParamDecl(p.type, p.shape, p.label) for n, p in self.params.items()},
        )
        sources = self.formula_sources()
        program, errors = compile_sources(sources, symbols)
        for e in errors:
            self.out.lang(e)
        self.broken = broken_formulas(program, sources)
        runtime = {n: p.runtime_value() for n, p in self.params.items() if not p.unset and p.versions}
        needs = Needs(program, runtime)
        budget_lines = self.budget_lines()
        measures: dict[str, Measure] = {}
        for mid, entry in self.raw.measures.items():
            measure = self.build_measure(mid, entry, program, needs, budget_lines)
            if measure is not None:
                measures[mid] = measure
        for measure in measures.values():
            if measure.external is not None:
                p = self.params.get(measure.external.param)
                if p is not None and measure.external.param not in measure.params:
                    self.out.warning(measure.file, measure.line, None, "external_param_unused",
                                     f"措施 {measure.id} 的外部规定参数 {p.name} 没有在金额公式中使用")
        jurisdictions = meta["jurisdictions"] if meta else {}
        fiscal = self.fiscal_split(jurisdictions)
        targets = self.targets()
        facilitation = self.facilitation()
        government = self.government_items()
        self._check_clause_refs()
        if not self.out.has_errors:  # with errors, what is used is not fully known
            self._check_unused()
        if self.out.has_errors or meta is None:
            return None
        return Pack(
            id=meta["id"], version=meta["version"], title=meta["title"], issuer=meta["issuer"],
            document_date=meta["document_date"], valid_from=meta["valid_from"], valid_to=meta["valid_to"],
            jurisdictions=tuple(jurisdictions), scope_note=meta["scope_note"], clauses=self.clauses,
            parameters=self.params, measures=measures, symbols=symbols, program=program,
            budget_lines=budget_lines, targets=targets, facilitation=facilitation,
            derives_from=meta["derives_from"], effective_from=meta["effective_from"],
            source_files=tuple(self.raw.files), sources=dict(self.raw.texts), facts=self.facts, fiscal_split=fiscal,
            jurisdiction_names=jurisdictions, government_items=government,
            dropped_measures=meta["drop_measures"], path=str(self.raw.root), money_rule=meta["money_rule"],
            validity_note=meta["validity_note"], scope_exceptions=meta["scope_exceptions"],
        )

    def _check_clause_refs(self) -> None:
        for reader, node, cid in self.clause_refs:
            if cid not in self.clauses:
                reader.error(node, "unknown_clause",
                             f"引用了不存在的条款 {cid}：请在 clauses.yaml 中登记该条款及其原文。"
                             + did_you_mean(cid, self.clauses))

    def _own(self, file: str) -> bool:
        """Declared in this pack's own folder (a county pack does not answer for what it inherits)."""
        return file.startswith(f"{self.raw.label}/")

    def _check_unused(self) -> None:
        for name, fact in self.facts.items():
            if name not in self.used_facts and fact.domain != "period" and self._own(fact.file):
                self.out.warning(fact.file, fact.line, None, "unused_fact", f"事实 {name} 已声明，但没有措施使用它")
        for name, param in self.params.items():
            if name not in self.used_params and not param.is_reading and self._own(param.file):
                self.out.warning(param.file, param.line, None, "unused_param", f"参数 {name} 已声明，但没有措施使用它")


def _common_prefix(text: str, document: str) -> int:
    """How many leading characters of ``text`` appear in ``document`` as one run."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text[:mid] in document:
            lo = mid
        else:
            hi = mid - 1
    return lo


# -- public API -------------------------------------------------------------------------------------------


def load_pack(path: str | Path, *, search: Sequence[str | Path] = ()) -> Pack:
    """Load and check the pack in folder ``path``; a county pack's parent is found by id beside it, in
    ``search`` or among the built-in packs. Raises ``PackErrors`` with every problem found."""
    pack, problems = _load(Path(path), [Path(p) for p in search])
    if pack is None:
        raise PackErrors(problems.problems)
    return pack


def load_pack_with_warnings(path: str | Path, *, search: Sequence[str | Path] = ()) -> tuple[Pack | None,
                                                                                               Collector]:
    """Like ``load_pack`` but returns the pack (None on errors) and every problem, warnings included."""
    return _load(Path(path), [Path(p) for p in search])


def _load(root: Path, search: list[Path]) -> tuple[Pack | None, Collector]:
    out = Collector()
    root = root.resolve()
    if not root.is_dir():
        out.error(str(root), None, None, "missing_file", f"政策包文件夹 {root} 不存在")
        return None, out
    raw = _read_with_parents(root, [*search, BUILTIN_DIR], out)
    pack = Builder(raw, out).build()
    return pack, out


def builtin_pack_folders() -> list[Path]:
    """Every pack folder shipped with the platform (two versions of one pack are two folders)."""
    if not BUILTIN_DIR.is_dir():
        return []
    return [f for f in sorted(BUILTIN_DIR.iterdir()) if (f / PACK_FILE).is_file() and _pack_id(f)]


def builtin_pack_dirs() -> dict[str, Path]:
    """The packs shipped with the platform, by id."""
    found: dict[str, Path] = {}
    if not BUILTIN_DIR.is_dir():
        return found
    for folder in sorted(BUILTIN_DIR.iterdir()):
        if (folder / PACK_FILE).is_file():
            pid = _pack_id(folder)
            if pid:
                found[pid] = folder
    return found


def load_builtin(pack_id: str) -> Pack:
    dirs = builtin_pack_dirs()
    if pack_id not in dirs:
        raise KeyError(f"没有内置政策包 {pack_id}。可用：{'、'.join(dirs)}")
    return load_pack(dirs[pack_id])
