"""What an expression needs: the facts (following the parameters' values, so a reading switched off asks for
nothing it no longer uses), the parameters and the formulas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import LangEvalError
from .nodes import Binary, FactRef, FormulaRef, If, Node, ParamRef, walk
from .program import CompiledExpression, Program
from .symbols import Type


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
