"""Scalar evaluation of one entity, exact, with a trace of every step.

Numbers are ``int`` (Integer) and ``Fraction`` (Decimal, and Money in yuan); no rounding happens
until the caller's result, where money is rounded half-up to the fen once (MEASURES.md S6).
``if``/``and``/``or`` evaluate lazily, so a guarded division (``if n > 0 then x / n else 0``) is safe.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from .checker import literal_int
from .errors import LangEvalError
from .nodes import Binary, Call, FactRef, FormulaRef, If, Literal, Node, ParamRef, Unary, walk
from .symbols import ParamShape, SymbolTable, Type
from .values import Dated, Schedule, exact, round_half_up, value_json


def typed(value: Any, type_: Type) -> Any:
    """Hold Integer as int and Money/Decimal as Fraction, whichever arithmetic produced them."""
    if type_ is Type.INTEGER:
        if isinstance(value, Fraction):
            assert value.denominator == 1
            return int(value)
        return value
    if type_ in (Type.MONEY, Type.DECIMAL) and isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    return value


def zero(type_: Type) -> Any:
    return 0 if type_ is Type.INTEGER else Fraction(0)


class ScalarEvaluator:
    def __init__(
        self,
        *,
        symbols: SymbolTable,
        formulas: Mapping[str, Any],  # name -> Formula (program.py)
        types: Mapping[int, Type],
        facts: Mapping[str, Any],
        params: Mapping[str, Any],
        as_of: dt.date | None,
        trace: bool = True,
    ) -> None:
        self.symbols = symbols
        self.formulas = formulas
        self.types = types
        self.facts = facts
        self.params = params
        self.as_of = as_of
        self.tracing = trace
        self.memo: dict[str, Any] = {}
        self.active: str | None = None
        self.fact_log: dict[str, dict[str, Any]] = {}
        self.param_log: dict[tuple[str, str], dict[str, Any]] = {}
        self.formula_log: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self._constant: dict[int, bool] = {}

    # -- inputs ----------------------------------------------------------------------------------

    def fact(self, node: FactRef) -> Any:
        decl = self.symbols.facts[node.name]
        if node.name not in self.facts or self.facts[node.name] is None:
            raise LangEvalError(f"缺少事实 fact.{node.name} 的值", node.span, code="missing_fact")
        value = exact(self.facts[node.name], decl.type, f"事实 fact.{node.name}")
        if self.tracing and node.name not in self.fact_log:
            self.fact_log[node.name] = {"name": node.name, "label": decl.label, "type": decl.type.value,
                                        **value_json(value, decl.type)}
        return value

    def param_raw(self, node: ParamRef, container: type) -> Any:
        if node.name not in self.params:
            raise LangEvalError(f"缺少参数 param.{node.name} 的值", node.span, code="missing_param")
        raw = self.params[node.name]
        if container is not object and not isinstance(raw, container):
            kind = "时间表 Schedule([...])" if container is Schedule else "按日期的值 Dated([...])"
            raise LangEvalError(f"参数 param.{node.name} 的值应为{kind}", node.span, code="bad_value")
        if container is object and isinstance(raw, Schedule | Dated):
            raise LangEvalError(f"参数 param.{node.name} 应为单个值", node.span, code="bad_value")
        return raw

    def log_param(self, node: ParamRef, key: str, value: Any, **extra: Any) -> None:
        if not self.tracing or (node.name, key) in self.param_log:
            return
        decl = self.symbols.params[node.name]
        self.param_log[(node.name, key)] = {"name": node.name, "label": decl.label, "type": decl.type.value,
                                            "shape": decl.shape.value, **extra, **value_json(value, decl.type)}

    def dated(self, node: ParamRef, on: dt.date | None) -> Any:
        decl = self.symbols.params[node.name]
        raw = self.param_raw(node, Dated)
        if on is None:
            raise LangEvalError(f"参数 param.{node.name} 按日期生效，计算时必须给出计算日期", node.span,
                                code="missing_date")
        found = raw.in_force(on)
        if found is None:
            first = raw.versions[0][0]
            raise LangEvalError(
                f"参数 param.{node.name} 在 {on.isoformat()} 尚未生效（最早的值自 {first.isoformat()} 起生效）",
                node.span, code="param_not_in_force",
            )
        effective, value = found
        value = exact(value, decl.type, f"参数 param.{node.name}（{effective.isoformat()} 起）")
        self.log_param(node, f"on:{on.isoformat()}", value, on=on.isoformat(), effective_from=effective.isoformat())
        return value

    def param(self, node: ParamRef) -> Any:
        decl = self.symbols.params[node.name]
        if decl.shape is ParamShape.DATED:
            return self.dated(node, self.as_of)
        value = exact(self.param_raw(node, object), decl.type, f"参数 param.{node.name}")
        self.log_param(node, "value", value)
        return value

    def schedule(self, node: ParamRef, year: int, just_membership: bool) -> Any:
        decl = self.symbols.params[node.name]
        raw = self.param_raw(node, Schedule)
        inside = 1 <= year <= len(raw)
        if just_membership:
            if self.tracing:
                key = f"in:{year}"
                if (node.name, key) not in self.param_log:
                    self.param_log[(node.name, key)] = {
                        "name": node.name, "label": decl.label, "type": Type.BOOL.value, "shape": "schedule",
                        "year": year, "years": len(raw), "value": inside, "membership": True,
                    }
            return inside
        if inside:
            value = exact(raw.values[year - 1], decl.type, f"参数 param.{node.name} 第 {year} 年")
        else:
            value = zero(decl.type)
        self.log_param(node, f"year:{year}", value, year=year, years=len(raw), beyond=not inside)
        return value

    # -- formulas and steps ----------------------------------------------------------------------

    def formula(self, name: str) -> Any:
        if name in self.memo:
            return self.memo[name]
        formula = self.formulas[name]
        outer, self.active = self.active, name
        try:
            value = self.eval(formula.expr)
        finally:
            self.active = outer
        self.memo[name] = value
        if self.tracing:
            self.formula_log.append({"name": name, "label": formula.label, "type": formula.type.value,
                                     "expr": formula.expr.text, **formula.expr.span.as_dict(),
                                     **value_json(value, formula.type)})
        return value

    def is_constant(self, node: Node) -> bool:
        cached = self._constant.get(node.nid)
        if cached is None:
            cached = all(isinstance(n, Literal | Unary | Binary | Call | If) for n in walk(node)) and not any(
                isinstance(n, Call) and n.func in ("schedule", "in_schedule", "at") for n in walk(node)
            )
            self._constant[node.nid] = cached
        return cached

    def eval(self, node: Node) -> Any:
        type_ = self.types[node.nid]
        value = typed(self._eval(node, type_), type_)
        if self.tracing and isinstance(node, Binary | Unary | If | Call) and not self.is_constant(node):
            self.steps.append({"step": len(self.steps) + 1, "formula": self.active, "expr": node.text,
                               **node.span.as_dict(), "type": type_.value, **value_json(value, type_)})
        return value

    def _eval(self, node: Node, type_: Type) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, FactRef):
            return self.fact(node)
        if isinstance(node, ParamRef):
            return self.param(node)
        if isinstance(node, FormulaRef):
            return self.formula(node.name)
        if isinstance(node, Unary):
            operand = self.eval(node.operand)
            return (not operand) if node.op == "not" else -operand
        if isinstance(node, If):
            return self.eval(node.then) if self.eval(node.cond) else self.eval(node.else_)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Call):
            return self.call(node, type_)
        raise AssertionError(node)

    def binary(self, node: Binary) -> Any:
        op = node.op
        if op == "and":
            return bool(self.eval(node.left)) and bool(self.eval(node.right))
        if op == "or":
            return bool(self.eval(node.left)) or bool(self.eval(node.right))
        a, b = self.eval(node.left), self.eval(node.right)
        if op == "+":
            if isinstance(a, dt.date):
                return a + dt.timedelta(days=b)
            if isinstance(b, dt.date):
                return b + dt.timedelta(days=a)
            return a + b
        if op == "-":
            if isinstance(a, dt.date):
                return (a - b).days if isinstance(b, dt.date) else a - dt.timedelta(days=b)
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if b == 0:
                raise LangEvalError(f"除数为零：{node.right.text} 的值是 0", node.right.span,
                                    code="division_by_zero")
            return Fraction(a) / b
        return {
            "==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b,
        }[op]

    def call(self, node: Call, type_: Type) -> Any:
        name, args = node.func, node.args
        if name in ("min", "max"):
            values = [self.eval(a) for a in args]
            return min(values) if name == "min" else max(values)
        if name == "floor":
            return math.floor(self.eval(args[0]))
        if name == "ceil":
            return math.ceil(self.eval(args[0]))
        if name == "abs":
            return abs(self.eval(args[0]))
        if name == "round":
            digits = literal_int(args[1])
            assert digits is not None
            return round_half_up(Fraction(self.eval(args[0])), digits)
        if name == "year":
            return self.eval(args[0]).year
        if name in ("schedule", "in_schedule"):
            year = self.eval(args[1])
            return self.schedule(args[0], year, name == "in_schedule")  # type: ignore[arg-type]
        if name == "at":
            on = self.eval(args[1])
            return self.dated(args[0], on)  # type: ignore[arg-type]
        raise AssertionError(name)

    def trace(self) -> dict[str, Any]:
        return {
            "facts": list(self.fact_log.values()),
            "params": list(self.param_log.values()),
            "formulas": self.formula_log,
            "steps": self.steps,
        }
