"""Compiling the named formulas of a pack, which live in several YAML files, into one rule-language program.

``lang.compile_program`` takes one text from one file. A pack's formulas sit in many files (each measure
file holds its own), and each must keep its own file and line for errors and traces. So this module parses
each formula where it stands (``parse_expression`` with its position), orders them by dependency, reports
cycles, and type-checks them with the language's checker, then builds the ``Program`` the engine evaluates.

It uses two internals of ``lishui.policy.lang`` (the ``Checker`` and the syntax-tree ``walk``): the public
API has no entry point for formulas from several sources. A ``compile_formulas(list of sources)`` in the
language would let this module shrink to a call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lishui.policy.lang import (
    CompiledExpression,
    Formula,
    LangError,
    LangErrors,
    LangEvalError,
    Program,
    Source,
    Span,
    SymbolTable,
    Type,
    parse_expression,
)
from lishui.policy.lang.checker import Checker
from lishui.policy.lang.nodes import Binary, FactRef, FormulaRef, If, Node, ParamRef, walk
from lishui.policy.lang.program import order_formulas


@dataclass(frozen=True)
class FormulaSource:
    name: str
    label: str | None
    text: str
    file: str
    line: int  # where the expression starts
    column: int
    name_line: int  # where the name is written (the YAML key)
    name_column: int
    expected: Type | None = None


def _name_span(src: FormulaSource) -> Span:
    return Span(Source(src.file, src.name, src.name_line, src.name_column), 0, len(src.name))


def compile_formulas(sources: Sequence[FormulaSource], symbols: SymbolTable) -> tuple[Program, list[LangError]]:
    """One program from formulas written in several files; every error found, none cascading."""
    errors: list[LangError] = []
    parsed: dict[str, Node] = {}
    by_name = {s.name: s for s in sources}
    for src in sources:
        try:
            parsed[src.name] = parse_expression(src.text, src.file, line=src.line, column=src.column)
        except LangError as exc:
            errors.append(exc)

    refs: dict[str, list[FormulaRef]] = {
        name: [n for n in walk(node) if isinstance(n, FormulaRef) and n.name in by_name]
        for name, node in parsed.items()
    }
    order, cyclic = order_formulas(parsed, refs, errors)

    # Every formula is known from the start (None: not typed yet or failed), so a reference to a formula
    # that has its own error does not produce a second, misleading one.
    types: dict[str, Type | None] = dict.fromkeys(by_name)
    checker = Checker(symbols, types)
    formulas: dict[str, Formula] = {}
    for name in order:
        src, node = by_name[name], parsed[name]
        if src.expected is not None:
            checker.expect(node, src.expected, f"公式 {name} 的结果")
            result = checker.types.get(node.nid)
        else:
            result = checker.check(node)
        types[name] = result
        if result is not None:
            deps = tuple(dict.fromkeys(r.name for r in refs[name]))
            formulas[name] = Formula(name, src.label, node, result, _name_span(src), deps)
    # Formulas in a cycle are still checked, so their other mistakes are reported too.
    for name in [n for n in parsed if n in cyclic]:
        checker.check(parsed[name])
    errors.extend(checker.errors)
    return Program(symbols, formulas, checker.types), errors


def broken_formulas(program: Program, sources: Sequence[FormulaSource]) -> frozenset[str]:
    """Formulas declared in the pack that did not compile (their errors are already reported)."""
    return frozenset(s.name for s in sources if s.name not in program.formulas)


def compile_in(program: Program, text: str, *, expected: Type, source: str, line: int, column: int,
               broken: frozenset[str] = frozenset()) -> CompiledExpression:
    """A condition or an amount that may use the program's formulas.

    Like ``Program.expression``, except that a formula which failed to compile (``broken``) is known by name
    without a type, so an expression using it gets no second, misleading "unknown name" error.
    """
    node = parse_expression(text, source, line=line, column=column)
    known: dict[str, Type | None] = {**dict.fromkeys(broken), **{n: f.type for n, f in program.formulas.items()}}
    checker = Checker(program.symbols, known)
    what = "条件" if expected is Type.BOOL else "表达式的结果"
    checker.expect(node, expected, what)
    if checker.errors:
        raise checker.errors[0] if len(checker.errors) == 1 else LangErrors(checker.errors)
    result = checker.types.get(node.nid)
    if result is None:  # uses a broken formula: already reported there
        raise Untyped()
    return CompiledExpression(node, result, program, checker.types)


class Untyped(Exception):
    """An expression that cannot be typed because a formula it uses has an error (reported once, there)."""


# -- what an expression needs -------------------------------------------------------------------------------


class Needs:
    """Facts, parameters and formulas an expression uses.

    ``facts`` follows the pack's parameter values: in ``if param.reading then fact.a else fact.b`` only the
    branch the current reading takes counts, so switching a reading off does not ask providers for facts it
    no longer uses. ``all_facts`` counts every branch.
    """

    def __init__(self, program: Program, params: Mapping[str, Any]) -> None:
        self.program = program
        self.params = params

    def _static(self, node: Node, types: Mapping[int, Type]) -> tuple[bool, Any]:
        """Evaluate a node that needs no fact (a reading), or say it is not static."""
        if any(isinstance(n, FactRef) for n in walk(node)):
            return False, None
        ev = self.program.evaluator({}, self.params, None, False, types)
        try:
            return True, ev.eval(node)
        except (LangEvalError, KeyError):
            return False, None

    def of(self, expr: CompiledExpression | Node, types: Mapping[int, Type] | None = None) -> dict[str, set[str]]:
        node = expr.expr if isinstance(expr, CompiledExpression) else expr
        all_types = {**self.program.types, **(types or {}), **(expr.types if isinstance(expr, CompiledExpression)
                                                               else {})}
        out: dict[str, set[str]] = {"facts": set(), "all_facts": set(), "params": set(), "formulas": set()}
        for n in walk(node):
            if isinstance(n, FactRef):
                out["all_facts"].add(n.name)
            elif isinstance(n, ParamRef):
                out["params"].add(n.name)
        self._visit(node, all_types, out, set())
        return out

    def _visit(self, node: Node, types: Mapping[int, Type], out: dict[str, set[str]], seen: set[str]) -> None:
        if isinstance(node, FactRef):
            out["facts"].add(node.name)
            return
        if isinstance(node, FormulaRef):
            formula = self.program.formulas.get(node.name)
            out["formulas"].add(node.name)
            if formula is None or node.name in seen:
                return
            seen.add(node.name)
            for n in walk(formula.expr):
                if isinstance(n, FactRef):
                    out["all_facts"].add(n.name)
                elif isinstance(n, ParamRef):
                    out["params"].add(n.name)
            self._visit(formula.expr, types, out, seen)
            return
        if isinstance(node, If):
            static, value = self._static(node.cond, types)
            if static:
                self._visit(node.then if value else node.else_, types, out, seen)
                return
        if isinstance(node, Binary) and node.op in ("and", "or"):
            static, value = self._static(node.left, types)
            if static:
                if (node.op == "and" and not value) or (node.op == "or" and value):
                    return
                self._visit(node.right, types, out, seen)
                return
        for child in node.children():
            self._visit(child, types, out, seen)

