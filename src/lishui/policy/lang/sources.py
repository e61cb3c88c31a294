"""Formulas written in several sources (a pack keeps each measure's formulas in its own file) compiled into one
program, each keeping its own file and line for errors and traces; expressions compiled against a program in
which some formulas failed, without a second, misleading error for those."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .checker import Checker
from .errors import LangError, LangErrors, Source, Span
from .nodes import FormulaRef, Node, walk
from .parser import parse_expression
from .program import CompiledExpression, Formula, Program, order_formulas
from .symbols import SymbolTable, Type


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


def compile_sources(sources: Sequence[FormulaSource], symbols: SymbolTable) -> tuple[Program, list[LangError]]:
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


def compile_in_program(program: Program, text: str, *, expected: Type, source: str, line: int, column: int,
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
