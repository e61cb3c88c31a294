"""Compiling rule text into a checked program of named formulas, and evaluating it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .checker import Checker
from .errors import LangCycleError, LangError, LangErrors, LangNameError, Source, Span
from .nodes import Definition, FormulaRef, Node, walk
from .parser import Parser
from .scalar import ScalarEvaluator
from .symbols import SymbolTable, Type
from .values import decimal_text, round_half_up, to_fen_decimal, value_json


@dataclass(frozen=True, slots=True, eq=False)
class Formula:
    name: str
    label: str | None
    expr: Node
    type: Type
    name_span: Span
    depends_on: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Result:
    """A computed value. Money is ``Decimal`` yuan rounded half-up to the fen; Decimal is an exact
    ``Fraction``; Integer ``int``; Bool ``bool``; Date ``datetime.date``. ``exact`` is the value
    before the final rounding. ``trace`` is JSON-serialisable (see ``explain``)."""

    value: Any
    type: Type
    exact: Any
    trace: dict[str, Any] | None


def finish(value: Any, type_: Type) -> Any:
    if type_ is Type.MONEY:
        return to_fen_decimal(Fraction(value))
    return value


def _raise(errors: list[LangError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise LangErrors(errors)


def _target_entry(name: str | None, label: str | None, expr: Node, value: Any, type_: Type) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "label": label, "expr": expr.text, **expr.span.as_dict(),
                             "type": type_.value}
    if type_ is Type.MONEY:
        rounded = round_half_up(Fraction(value), 2)
        entry.update(value_json(rounded, type_))
        if rounded != value:
            text, is_exact = decimal_text(Fraction(value), 2)
            entry["unrounded"] = text
            entry["unrounded_exact"] = is_exact
    else:
        entry.update(value_json(value, type_))
    return entry


class Program:
    """Named formulas that may use each other, checked against a symbol table."""

    def __init__(self, symbols: SymbolTable, formulas: dict[str, Formula], types: dict[int, Type]) -> None:
        self.symbols = symbols
        self.formulas = formulas  # dependency order: a formula comes after those it uses
        self.types = types

    def __contains__(self, name: str) -> bool:
        return name in self.formulas

    def type_of(self, name: str) -> Type:
        return self.formulas[name].type

    def expression(
        self, text: str, *, expected: Type | None = None, source: str = "<表达式>", line: int = 1, column: int = 1
    ) -> CompiledExpression:
        """Compile an expression that may use this program's formulas by name."""
        return compile_expression(text, self.symbols, expected=expected, program=self, source=source, line=line,
                                  column=column)

    def evaluator(self, facts: Mapping[str, Any], params: Mapping[str, Any], as_of: dt.date | None,
                  trace: bool, extra_types: Mapping[int, Type] | None = None) -> ScalarEvaluator:
        types = self.types if not extra_types else {**self.types, **extra_types}
        return ScalarEvaluator(symbols=self.symbols, formulas=self.formulas, types=types, facts=facts,
                               params=params, as_of=as_of, trace=trace)

    def evaluate(self, name: str, facts: Mapping[str, Any], params: Mapping[str, Any], *,
                 as_of: dt.date | None = None, trace: bool = True) -> Result:
        """Evaluate one formula for one entity."""
        return self.evaluate_many([name], facts, params, as_of=as_of, trace=trace)[name]

    def evaluate_many(self, names: Sequence[str], facts: Mapping[str, Any], params: Mapping[str, Any], *,
                      as_of: dt.date | None = None, trace: bool = True) -> dict[str, Result]:
        """Evaluate several formulas for one entity, sharing one trace (each formula computed once)."""
        for name in names:
            if name not in self.formulas:
                from .checker import did_you_mean

                raise LangNameError(f"程序中没有公式 {name}。" + did_you_mean(name, self.formulas), None,
                                    code="unknown_formula")
        ev = self.evaluator(facts, params, as_of, trace)
        values = {name: ev.formula(name) for name in names}
        trace_dict = None
        if trace:
            trace_dict = {
                "targets": [_target_entry(n, self.formulas[n].label, self.formulas[n].expr, values[n],
                                          self.formulas[n].type) for n in names],
                **ev.trace(),
            }
        return {n: Result(finish(values[n], self.formulas[n].type), self.formulas[n].type, values[n], trace_dict)
                for n in names}

    def evaluate_vectorised(self, names: Sequence[str], columns: Mapping[str, Any], params: Mapping[str, Any], *,
                            as_of: dt.date | None = None, size: int | None = None) -> dict[str, Any]:
        """Evaluate formulas for N entities at once; see ``vector.VectorEvaluator``."""
        from .vector import VectorEvaluator

        ev = VectorEvaluator(self, columns, params, as_of=as_of, size=size)
        return {name: ev.result(name) for name in names}


@dataclass(frozen=True, eq=False)
class CompiledExpression:
    """One checked expression (a condition or an amount), possibly using a program's formulas."""

    expr: Node
    type: Type
    program: Program
    types: dict[int, Type]

    def evaluate(self, facts: Mapping[str, Any], params: Mapping[str, Any], *, as_of: dt.date | None = None,
                 trace: bool = True) -> Result:
        ev = self.program.evaluator(facts, params, as_of, trace, self.types)
        value = ev.eval(self.expr)
        trace_dict = None
        if trace:
            trace_dict = {"targets": [_target_entry(None, None, self.expr, value, self.type)], **ev.trace()}
        return Result(finish(value, self.type), self.type, value, trace_dict)

    def evaluate_vectorised(self, columns: Mapping[str, Any], params: Mapping[str, Any], *,
                            as_of: dt.date | None = None, size: int | None = None) -> Any:
        from .vector import VectorEvaluator

        ev = VectorEvaluator(self.program, columns, params, as_of=as_of, size=size, extra_types=self.types)
        return ev.result_of(self.expr, self.type)


def compile_program(text: str, symbols: SymbolTable, *, source: str = "<规则>", line: int = 1,
                    column: int = 1) -> Program:
    """Parse and check a rule file; raise the error (or ``LangErrors`` with all of them) if any."""
    program, errors = _compile_program(text, symbols, source, line, column)
    _raise(errors)
    assert program is not None
    return program


def check_program(text: str, symbols: SymbolTable, *, source: str = "<规则>", line: int = 1,
                  column: int = 1) -> list[LangError]:
    """Every error of a rule file, in source order (empty when it is fine)."""
    try:
        _, errors = _compile_program(text, symbols, source, line, column)
    except LangError as exc:  # a syntax error stops parsing
        return [exc]
    return sorted(errors, key=lambda e: e.span.start if e.span else -1)


def _compile_program(text: str, symbols: SymbolTable, source: str, line: int,
                     column: int) -> tuple[Program | None, list[LangError]]:
    definitions = Parser(Source(source, text, line, column)).parse_program()
    errors: list[LangError] = []
    by_name: dict[str, Definition] = {}
    for d in definitions:
        if d.name in by_name:
            first = by_name[d.name].name_span
            errors.append(LangNameError(f"公式 {d.name} 重复定义（第一次定义在第 {first.line} 行）", d.name_span,
                                        code="duplicate_definition"))
            continue
        by_name[d.name] = d

    refs: dict[str, list[FormulaRef]] = {
        name: [n for n in walk(d.expr) if isinstance(n, FormulaRef) and n.name in by_name]
        for name, d in by_name.items()
    }
    order, cyclic = order_formulas(by_name, refs, errors)

    checker = Checker(symbols, {name: None for name in by_name})
    formulas: dict[str, Formula] = {}
    for name in order + [n for n in by_name if n in cyclic]:
        d = by_name[name]
        result = checker.check(d.expr)
        if name in cyclic:
            continue
        checker.formula_types[name] = result  # type: ignore[index]
        if result is not None:
            deps = tuple(dict.fromkeys(r.name for r in refs[name]))
            formulas[name] = Formula(name, d.label, d.expr, result, d.name_span, deps)
    errors.extend(checker.errors)
    return Program(symbols, formulas, checker.types), errors


def order_formulas(by_name: Mapping[str, Any], refs: Mapping[str, list[FormulaRef]],
                   errors: list[LangError]) -> tuple[list[str], set[str]]:
    """Dependency order by depth-first search; each cycle is reported once, at the reference that closes it."""
    white, gray, black = 0, 1, 2
    color = dict.fromkeys(by_name, white)
    order: list[str] = []
    cyclic: set[str] = set()
    reported: set[frozenset[str]] = set()
    for root in by_name:
        if color[root] != white:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        color[root] = gray
        while stack:
            name, i = stack[-1]
            if i < len(refs[name]):
                stack[-1] = (name, i + 1)
                ref = refs[name][i]
                if ref.name not in color:  # a formula that failed to parse: reported already
                    continue
                if color[ref.name] == white:
                    color[ref.name] = gray
                    stack.append((ref.name, 0))
                    path.append(ref.name)
                elif color[ref.name] == gray:
                    cycle = path[path.index(ref.name):]
                    cyclic.update(cycle)
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        chain = " → ".join([*cycle, ref.name])
                        errors.append(LangCycleError(
                            f"公式之间存在循环引用：{chain}。公式不能直接或间接地引用自己", ref.span, code="cycle"))
            else:
                stack.pop()
                path.pop()
                color[name] = black
                order.append(name)
    # A formula that uses a cyclic one cannot be computed either; it is left untyped without a second error.
    changed = True
    while changed:
        changed = False
        for name in order:
            if name not in cyclic and any(r.name in cyclic for r in refs[name]):
                cyclic.add(name)
                changed = True
    return [n for n in order if n not in cyclic], cyclic


def compile_expression(text: str, symbols: SymbolTable, *, expected: Type | None = None,
                       program: Program | None = None, source: str = "<表达式>", line: int = 1,
                       column: int = 1) -> CompiledExpression:
    """Parse and check one expression. ``expected`` (e.g. Bool for a condition) is enforced."""
    program = program or Program(symbols, {}, {})
    node = Parser(Source(source, text, line, column)).parse_expression()
    checker = Checker(symbols, {name: f.type for name, f in program.formulas.items()})
    if expected is None:
        result = checker.check(node)
    else:
        what = "条件" if expected is Type.BOOL else "表达式的结果"
        checker.expect(node, expected, what)
        result = checker.types.get(node.nid)
    _raise(checker.errors)
    assert result is not None
    return CompiledExpression(node, result, program, checker.types)
