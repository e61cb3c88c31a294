"""Parameter values, exact conversion of inputs, and how values are written in traces.

Inside the evaluators numbers are exact: ``int`` for Integer, ``Fraction`` (yuan, for Money) for
Money and Decimal. Floats are refused everywhere.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .errors import LangEvalError
from .symbols import Type


@dataclass(frozen=True, slots=True)
class Schedule:
    """Values for year 1, 2, 3, … of a tenancy or operation. Outside 1..n a schedule reads 0."""

    values: tuple[Any, ...]

    def __init__(self, values: Iterable[Any]) -> None:
        object.__setattr__(self, "values", tuple(values))
        if not self.values:
            raise ValueError("时间表至少要有一年的值")

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True, slots=True)
class Dated:
    """Values with the date each took effect; a value stays in force until the next one."""

    versions: tuple[tuple[dt.date, Any], ...]

    def __init__(self, versions: Iterable[tuple[dt.date, Any]]) -> None:
        ordered = tuple(sorted(versions, key=lambda v: v[0]))
        if not ordered:
            raise ValueError("按日期生效的参数至少要有一个值")
        dates = [d for d, _ in ordered]
        if len(set(dates)) != len(dates):
            raise ValueError("按日期生效的参数有两个值在同一天生效")
        for d, _ in ordered:
            if not isinstance(d, dt.date) or isinstance(d, dt.datetime):
                raise ValueError(f"生效日期必须是日期，得到的是 {d!r}")
        object.__setattr__(self, "versions", ordered)

    def in_force(self, on: dt.date) -> tuple[dt.date, Any] | None:
        found = None
        for effective, value in self.versions:
            if effective <= on:
                found = (effective, value)
            else:
                break
        return found


def exact(value: Any, type_: Type, what: str) -> Any:
    """An input value as the evaluator holds it, or an error that names the input."""

    def bad(expected: str) -> LangEvalError:
        return LangEvalError(f"{what} 应为{expected}，得到的是 {value!r}", None, code="bad_value")

    if type_ is Type.BOOL:
        if isinstance(value, bool) or type(value).__name__ == "bool_":
            return bool(value)
        raise bad("真假值（true/false）")
    if type_ is Type.DATE:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise bad("日期")
    if isinstance(value, (bool, float)) or type(value).__name__.startswith("float"):
        raise bad(f"{type_.zh}（不接受浮点数或真假值）")
    if isinstance(value, numbers.Integral):
        number: Fraction = Fraction(int(value))
    elif isinstance(value, Fraction):
        number = value
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise bad(type_.zh)
        number = Fraction(value)
    elif isinstance(value, str):
        try:
            parsed = Decimal(value.replace(",", "").strip())
        except ArithmeticError:
            raise bad(type_.zh) from None
        if not parsed.is_finite():
            raise bad(type_.zh)
        number = Fraction(parsed)
    else:
        raise bad(type_.zh)
    if type_ is Type.INTEGER:
        if number.denominator != 1:
            raise bad("整数")
        return int(number)
    return number


def round_half_up(value: Fraction, digits: int = 0) -> Fraction:
    """Round half away from zero (the Chinese 四舍五入) to ``digits`` decimal places."""
    scale = Fraction(10) ** digits
    scaled = value * scale
    magnitude = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Fraction(magnitude if scaled >= 0 else -magnitude) / scale


def to_fen_decimal(value: Fraction) -> Decimal:
    """Money at the end of a computation: yuan rounded half-up to the fen."""
    return Decimal(decimal_text(round_half_up(value, 2), 2)[0])


def _terminates(value: Fraction) -> bool:
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def decimal_text(value: Fraction, min_places: int = 0, approx_places: int = 6) -> tuple[str, bool]:
    """Plain decimal text of a fraction and whether it is exact (False when it would not terminate)."""
    if not _terminates(value):
        return decimal_text(round_half_up(value, approx_places), approx_places)[0], False
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    places = max(places, min_places)
    scaled = (value * 10**places).numerator
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled)).rjust(places + 1, "0")
    return sign + (digits[:-places] + "." + digits[-places:] if places else digits), True


def group_digits(text: str) -> str:
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    whole, _, frac = body.partition(".")
    grouped = f"{int(whole):,}"
    return sign + grouped + ("." + frac if frac else "")


def value_json(value: Any, type_: Type) -> dict[str, Any]:
    """A value for a JSON trace: ``value`` is exact text; a non-terminating decimal adds ``exact``."""
    if type_ is Type.BOOL:
        return {"value": bool(value)}
    if type_ is Type.DATE:
        return {"value": value.isoformat()}
    if type_ is Type.INTEGER:
        return {"value": str(int(value))}
    frac = Fraction(value)
    text, is_exact = decimal_text(frac, 2 if type_ is Type.MONEY else 0)
    out: dict[str, Any] = {"value": text}
    if not is_exact:
        out["approximate"] = True
        out["exact"] = f"{frac.numerator}/{frac.denominator}"
    return out


def display(value: Any, type_: Type) -> str:
    """A value as a person reads it in the Chinese explanation."""
    if type_ is Type.BOOL:
        return "是" if value else "否"
    if type_ is Type.DATE:
        return f"{value.year}年{value.month}月{value.day}日"
    if type_ is Type.INTEGER:
        return f"{int(value):,}"
    frac = Fraction(value)
    text, is_exact = decimal_text(frac, 2 if type_ is Type.MONEY else 0)
    shown = group_digits(text) if type_ is Type.MONEY else text
    prefix = "" if is_exact else "约 "
    if type_ is Type.MONEY:
        return f"{prefix}{shown} 元"
    if is_exact and 0 < abs(frac) < 1:
        pct, pct_exact = decimal_text(frac * 100)
        if pct_exact:
            return f"{shown}（{pct}%）"
    return prefix + shown


def json_value_to_display(entry: dict[str, Any], type_name: str) -> str:
    """Re-render a JSON trace value for the explanation (used when only the JSON is at hand)."""
    type_ = Type(type_name)
    raw = entry["value"]
    if type_ is Type.BOOL:
        return display(raw, type_)
    if type_ is Type.DATE:
        return display(dt.date.fromisoformat(raw), type_)
    if "exact" in entry:
        num, den = entry["exact"].split("/")
        return display(Fraction(int(num), int(den)), type_)
    return display(Fraction(raw), type_)
