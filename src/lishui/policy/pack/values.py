"""Values written in a pack (parameters, case facts, targets) and how they are shown to people.

A value is written as a literal of the rule language (``50000 元``, ``5万元``, ``70%``, ``4.85%``,
``2015-07-29``, ``true``, ``360``) so an officer learns one notation. A bare number is accepted for money
(it is yuan: the declaration says so). Values are held exactly: money as ``Decimal`` yuan to the fen,
rates as ``Decimal``, counts as ``int``. A float never appears.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import yaml

from lishui.policy.lang import LangError, ParamShape, SymbolTable, Type, compile_expression

from .yamlsrc import Reader, expression_source

_NO_SYMBOLS = SymbolTable()

EXAMPLES = {
    Type.MONEY: "50000 元、5万元",
    Type.DECIMAL: "70%、0.0485",
    Type.INTEGER: "360",
    Type.BOOL: "true 或 false",
    Type.DATE: "2015-07-29",
}


class BadValue(Exception):
    pass


def fraction_to_decimal(value: Fraction) -> Decimal | None:
    """Exact decimal of a fraction, or None when it does not terminate (1/3)."""
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return None
    places = max(twos, fives)
    scaled = value * 10**places
    return Decimal(int(scaled)).scaleb(-places)


def convert(value: Any, found: Type, expected: Type) -> Any:
    """A literal's exact value as the model holds a value of ``expected`` type; BadValue if it does not fit."""
    if found is expected and expected in (Type.BOOL, Type.DATE):
        return value
    if expected is Type.BOOL or expected is Type.DATE or found in (Type.BOOL, Type.DATE):
        raise BadValue(f"应为{expected.described}，例如 {EXAMPLES[expected]}，这里写的是{found.described}")
    number = Fraction(value)
    if expected is Type.INTEGER:
        if found is not Type.INTEGER or number.denominator != 1:
            raise BadValue(f"应为整数，例如 {EXAMPLES[Type.INTEGER]}")
        return int(number)
    if expected is Type.MONEY:
        if (number * 100).denominator != 1:
            raise BadValue("金额最多精确到分（0.01 元）")
        return Decimal(int(number * 100)).scaleb(-2)
    if found is Type.MONEY:
        raise BadValue(f"应为不带单位的数（{expected.described}，例如 {EXAMPLES[expected]}），这里写的是金额")
    exact = fraction_to_decimal(number)
    if exact is None:
        raise BadValue("应为有限小数（例如 0.3333 而不是 1/3）")
    return exact


def literal(reader: Reader, node: yaml.Node, expected: Type, what: str) -> tuple[bool, Any]:
    """Read one value of ``expected`` type from a scalar node; report a problem and return (False, None)."""
    if not isinstance(node, yaml.ScalarNode) or node.value.strip() == "" or node.tag.endswith(":null"):
        reader.error(node, "bad_value", f"{what}应为一个值（{expected.described}），例如 {EXAMPLES[expected]}")
        return False, None
    text, line, column = expression_source(reader.file, node)
    try:
        compiled = compile_expression(text, _NO_SYMBOLS, source=reader.file.name, line=line, column=column)
        result = compiled.evaluate({}, {}, trace=False)
    except LangError as exc:
        detail = exc.message if exc.code == "syntax" else "只能写一个常数"
        reader.error(node, "bad_value", f"{what}的值 {node.value} 无法识别：{detail}。"
                                        f"{expected.zh}的写法例如 {EXAMPLES[expected]}")
        return False, None
    try:
        return True, convert(result.exact, result.type, expected)
    except BadValue as exc:
        reader.error(node, "bad_value", f"{what}的值 {node.value} 不对：{exc}")
        return False, None


def schedule(reader: Reader, node: yaml.Node, expected: Type, what: str) -> tuple[bool, tuple[Any, ...]]:
    items = reader.sequence(node, f"{what}（时间表，每年一个值）")
    if items is None:
        return False, ()
    if not items:
        reader.error(node, "bad_value", f"{what}（时间表）至少要有一年的值")
        return False, ()
    values = []
    ok = True
    for i, item in enumerate(items, start=1):
        good, value = literal(reader, item, expected, f"{what}第 {i} 年")
        ok &= good
        values.append(value)
    return ok, tuple(values)


def show(value: Any, type_: Type, unit: str = "", shape: ParamShape = ParamShape.VALUE) -> str:
    """A value as an officer reads it: ``50,000 元``, ``70%``, ``2015年7月29日``, ``10,000 平方米``."""
    if value is None:
        return "（未设定）"
    if shape is ParamShape.SCHEDULE:
        return " / ".join(show(v, type_, unit) for v in value)
    if type_ is Type.BOOL:
        return "是" if value else "否"
    if type_ is Type.DATE:
        assert isinstance(value, dt.date)
        return f"{value.year}年{value.month}月{value.day}日"
    if type_ is Type.MONEY:
        money = Decimal(value)
        text = f"{money:,.2f}".removesuffix(".00")
        return f"{text} 元"
    if type_ is Type.INTEGER:
        return f"{int(value):,}" + (f" {unit}" if unit else "")
    number = Decimal(value)
    if unit in ("比例", "年利率", "%"):
        percent = (number * 100).normalize()
        return f"{percent:f}%"
    text = f"{number.normalize():f}"
    return text + (f" {unit}" if unit else "")
