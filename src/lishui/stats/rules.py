"""Validation shared by every way in (web form, Excel/CSV upload, API push): periods, typed values with their
ranges and sum rules, and outlier checks against the entity's own history (which flag, never reject)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

TYPES = ("money", "usd", "integer", "decimal", "bool", "year", "text")
TYPE_LABELS = {"money": "金额（元）", "usd": "金额（美元）", "integer": "整数", "decimal": "数值", "bool": "是/否",
               "year": "年度", "text": "文字"}
PERIOD_TYPES = {"day": "日", "month": "月", "quarter": "季", "year": "年"}
CENT = Decimal("0.01")
TRUE = {"true", "1", "是", "yes", "y"}
FALSE = {"false", "0", "否", "no", "n"}
MAX_TEXT = 2000
MAX_NUMBER = Decimal(10) ** 15  # a bound on every figure: far above any real one, well inside the columns


class BadValue(ValueError):
    pass


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str
    unit: str = ""
    required: bool = True
    min_value: str = ""
    max_value: str = ""
    part_of: str = ""  # "<total key>" or "<total key>/<breakdown>": parts of one breakdown sum to at most the total
    outlier_check: bool = False
    label_en: str = ""

    @property
    def numeric(self) -> bool:
        return self.type in ("money", "usd", "integer", "decimal", "year")

    @property
    def column(self) -> str:
        """The column title in templates and uploads."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label

    @property
    def total_key(self) -> str:
        return self.part_of.split("/", 1)[0]


@dataclass
class FormSpec:
    code: str
    title: str
    period_type: str
    fields: tuple[FieldSpec, ...]
    jump_factor: Decimal = Decimal(10)
    z_threshold: Decimal = Decimal(3)
    by_key: dict[str, FieldSpec] = field(init=False, repr=False)
    # Each breakdown: its total and its parts (parts of one breakdown sum to at most the total).
    breakdowns: list[tuple[FieldSpec, list[FieldSpec]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_key = {f.key: f for f in self.fields}
        groups: dict[str, list[FieldSpec]] = {}
        for spec in self.fields:
            if spec.part_of:
                groups.setdefault(spec.part_of, []).append(spec)
        self.breakdowns = [(self.by_key[parts[0].total_key], parts) for parts in groups.values()
                           if parts[0].total_key in self.by_key]

    def field(self, key: str) -> FieldSpec | None:
        return self.by_key.get(key)


def spec_of(form: Any) -> FormSpec:
    """The validation view of a StatsForm row (or anything with the same attributes)."""
    fields = tuple(FieldSpec(f.key, f.label, f.type, f.unit, f.required, f.min_value, f.max_value, f.part_of,
                             f.outlier_check, f.label_en) for f in form.fields)
    return FormSpec(form.code, form.title, form.period_type, fields, Decimal(form.jump_factor),
                    Decimal(form.z_threshold))


# ---------------------------------------------------------------- periods

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_QUARTER_ZH = re.compile(r"^(\d{4})年第?([1-4一二三四])季度?$")
_MONTH_ZH = re.compile(r"^(\d{4})年(\d{1,2})月$")
ZH_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4"}
YEARS = (2000, 2100)


@dataclass(frozen=True)
class Period:
    code: str  # canonical: 2017-03-15 | 2017-03 | 2017-Q1 | 2017
    start: dt.date
    end: dt.date


def _year(text: str) -> int:
    year = int(text)
    if not YEARS[0] <= year <= YEARS[1]:
        raise BadValue(f"年度应在 {YEARS[0]}–{YEARS[1]} 之间")
    return year


def month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1))


def parse_period(period_type: str, raw: Any) -> Period:
    """A period of the form's type from text such as 2017-03, 2017年3月, 2017-Q1, 2017年第一季度, 2017, 2017-03-15."""
    return _parse_period(period_type, str(raw or "").strip()[:40])


@functools.lru_cache(maxsize=4096)  # an upload names few distinct periods: parse each once
def _parse_period(period_type: str, text: str) -> Period:
    if not text:
        raise BadValue("报告期不能为空")
    if period_type == "day":
        try:
            day = dt.date.fromisoformat(text[:10])
        except ValueError:
            raise BadValue("报告期应为日期，如 2017-03-15") from None
        _year(str(day.year))
        return Period(day.isoformat(), day, day)
    if period_type == "month":
        m = _MONTH.match(text) or _MONTH_ZH.match(text)
        if not m and re.match(r"^\d{4}-\d{2}-01$", text):  # a spreadsheet turned 2017-03 into a date
            m = _MONTH.match(text[:7])
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise BadValue("报告期应为年月，如 2017-03")
        year, month = _year(m.group(1)), int(m.group(2))
        return Period(f"{year:04d}-{month:02d}", dt.date(year, month, 1), month_end(year, month))
    if period_type == "quarter":
        m = _QUARTER.match(text) or _QUARTER_ZH.match(text)
        if not m:
            raise BadValue("报告期应为季度，如 2017-Q1")
        year, q = _year(m.group(1)), int(ZH_DIGITS.get(m.group(2), m.group(2)))
        return Period(f"{year:04d}-Q{q}", dt.date(year, 3 * q - 2, 1), month_end(year, 3 * q))
    if period_type == "year":
        m = _YEAR.match(text.removesuffix("年"))
        if not m:
            raise BadValue("报告期应为年度，如 2017")
        year = _year(m.group(1))
        return Period(str(year), dt.date(year, 1, 1), dt.date(year, 12, 31))
    raise BadValue(f"未知的报告期类型 {period_type}")


def check_not_future(period: Period, today: dt.date) -> None:
    """A period can be reported once it has ended (a day's report on that day)."""
    if period.end > today:
        raise BadValue(f"报告期 {period.code} 尚未结束，不能填报未来的数据")


def recent_periods(period_type: str, today: dt.date, count: int) -> list[Period]:
    """The ``count`` most recent periods that have ended by ``today`` (newest first)."""
    out: list[Period] = []
    if period_type == "day":
        return [parse_period("day", (today - dt.timedelta(days=i)).isoformat()) for i in range(count)]
    if period_type == "month":
        year, month = today.year, today.month
        while len(out) < count:
            month -= 1
            if month == 0:
                year, month = year - 1, 12
            out.append(parse_period("month", f"{year}-{month:02d}"))
        return out
    if period_type == "quarter":
        year, q = today.year, (today.month - 1) // 3 + 1
        while len(out) < count:
            q -= 1
            if q == 0:
                year, q = year - 1, 4
            out.append(parse_period("quarter", f"{year}-Q{q}"))
        return out
    return [parse_period("year", str(today.year - i)) for i in range(1, count + 1)]


# ---------------------------------------------------------------- values

def parse_one(spec: FieldSpec, raw: Any) -> str | None:
    """The canonical text of one value (money in fen, USD in cents), None when blank. Raises BadValue."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        text = "true" if raw else "false"
    elif isinstance(raw, float):
        text = repr(raw)  # JSON numbers arrive as floats: their shortest repr is what the sender wrote
    else:
        text = str(raw).strip()
    if text == "":
        return None
    if spec.type == "text":
        if len(text) > MAX_TEXT:
            raise BadValue(f"不能超过 {MAX_TEXT} 个字")
        return text
    if spec.type == "bool":
        low = text.lower()
        if low in TRUE:
            return "true"
        if low in FALSE:
            return "false"
        raise BadValue("应为 是 或 否")
    try:
        number = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise BadValue("应为数字") from None
    if not number.is_finite():
        raise BadValue("应为数字")
    if number < 0:
        raise BadValue("不能为负数")
    if number >= MAX_NUMBER:
        raise BadValue("数值过大")
    if spec.min_value and number < Decimal(spec.min_value):
        raise BadValue(f"不能小于 {spec.min_value}")
    if spec.max_value and number > Decimal(spec.max_value):
        raise BadValue(f"不能大于 {spec.max_value}")
    if spec.type in ("money", "usd"):
        if number != number.quantize(CENT):
            raise BadValue("金额最多保留两位小数")
        return str(int(number * 100))
    if spec.type in ("integer", "year"):
        if number != number.to_integral_value():
            raise BadValue("应为整数")
        if spec.type == "year":
            _year(str(int(number)))
        return str(int(number))
    return str(number.normalize()) if number != number.to_integral_value() else str(int(number))


def number_of(spec: FieldSpec, canonical: str) -> Decimal:
    """The value in the field's unit (yuan, dollars, ...), from its canonical text."""
    value = Decimal(canonical)
    return value / 100 if spec.type in ("money", "usd") else value


def display(spec: FieldSpec, canonical: str | None) -> str:
    if canonical is None or canonical == "":
        return ""
    if spec.type in ("money", "usd"):
        return f"{Decimal(canonical) / 100:,.2f}"
    if spec.type == "bool":
        return "是" if canonical == "true" else "否"
    if spec.type == "integer":
        return f"{int(canonical):,}"
    return canonical


@dataclass
class Checked:
    values: dict[str, str]
    errors: list[tuple[str, str]]  # field key, message

    @property
    def ok(self) -> bool:
        return not self.errors


def check_values(form: FormSpec, raw: Mapping[str, Any]) -> Checked:
    """Types, required fields, ranges and sum rules (parts of a breakdown ≤ its total)."""
    values: dict[str, str] = {}
    errors: list[tuple[str, str]] = []
    for spec in form.fields:
        try:
            parsed = parse_one(spec, raw.get(spec.key))
        except BadValue as exc:
            errors.append((spec.key, f"{spec.label}：{exc}"))
            continue
        if parsed is None:
            if spec.required:
                errors.append((spec.key, f"{spec.label}：必填"))
            continue
        values[spec.key] = parsed
    unknown = [k for k in raw if k not in form.by_key]
    errors.extend((k, f"未知的字段“{k}”") for k in unknown[:20])
    errors.extend(_sum_errors(form, values))
    return Checked(values, errors)


def _sum_errors(form: FormSpec, values: Mapping[str, str]) -> list[tuple[str, str]]:
    errors = []
    for total_spec, parts in form.breakdowns:
        if total_spec.key not in values:
            continue
        present = [p for p in parts if p.key in values]
        if not present:
            continue
        amount = sum(int(values[p.key]) if p.type != "decimal" else Decimal(values[p.key]) for p in present)
        if amount > Decimal(values[total_spec.key]):
            names = "＋".join(p.label.removeprefix("其中：").removeprefix("按平台：") for p in present)
            shown = display(total_spec, str(amount))
            errors.append((present[-1].key, f"{names} 合计 {shown} 超过了{total_spec.label} "
                                           f"{display(total_spec, values[total_spec.key])}（分项不能大于合计）"))
    return errors


def dump_values(values: Mapping[str, str]) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def load_values(text: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(text) if text else {}
    return loaded


# ---------------------------------------------------------------- outliers

@dataclass
class Running:
    """The history of one field of one entity: count, sum, sum of squares, the latest value."""

    n: int = 0
    total: Decimal = Decimal(0)
    squares: Decimal = Decimal(0)
    last: Decimal | None = None

    def add(self, value: Decimal) -> None:
        self.n += 1
        self.total += value
        self.squares += value * value
        self.last = value


MIN_HISTORY_FOR_Z = 6


def outlier_flags(form: FormSpec, spec: FieldSpec, history: Running, value: Decimal) -> list[dict[str, str]]:
    """Flags for ``value`` against the entity's earlier values of the same field (never a refusal)."""
    flags: list[dict[str, str]] = []
    prev = history.last
    if prev is not None and prev > 0 and value > 0:
        ratio = value / prev
        if ratio > form.jump_factor or ratio < 1 / form.jump_factor:
            flags.append({"field": spec.key, "kind": "jump",
                          "message": f"{spec.label} {display(spec, str(value))} 是上期 {display(spec, str(prev))} 的 "
                                     f"{ratio:.1f} 倍（阈值 {form.jump_factor.normalize():f} 倍）"})
    if history.n >= MIN_HISTORY_FOR_Z:
        mean = history.total / history.n
        variance = history.squares / history.n - mean * mean
        if variance > 0:
            z = (value - mean) / variance.sqrt()
            if abs(z) > form.z_threshold:
                flags.append({"field": spec.key, "kind": "zscore",
                              "message": f"{spec.label} 偏离本主体历史均值 {abs(z):.1f} 个标准差"
                                         f"（阈值 {form.z_threshold.normalize():f}）"})
    return flags


@dataclass
class Series:
    """An entity's earlier values, field by field, fed in period order."""

    form: FormSpec
    running: dict[str, Running] = field(default_factory=dict)

    def flags(self, values: Mapping[str, str]) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for spec in self.form.fields:
            if spec.outlier_check and spec.key in values:
                out.extend(outlier_flags(self.form, spec, self.running.get(spec.key, Running()),
                                         Decimal(values[spec.key])))
        return out

    def add(self, values: Mapping[str, str]) -> None:
        for spec in self.form.fields:
            if spec.outlier_check and spec.key in values:
                self.running.setdefault(spec.key, Running()).add(Decimal(values[spec.key]))


def series_from(form: FormSpec, earlier: Iterable[Mapping[str, str]]) -> Series:
    series = Series(form)
    for values in earlier:
        series.add(values)
    return series


def field_titles(form: FormSpec) -> dict[str, str]:
    return {f.key: f.column for f in form.fields}


def keys_by_column(form: FormSpec) -> dict[str, str]:
    out = {f.column: f.key for f in form.fields}
    out.update({f.label: f.key for f in form.fields})
    out.update({f.key: f.key for f in form.fields})
    return out


def ordered(form: FormSpec, values: Mapping[str, str]) -> Sequence[tuple[FieldSpec, str]]:
    return [(f, values[f.key]) for f in form.fields if f.key in values]
