"""The rule language of the policy engine: conditions and amount formulas policy staff can read.

    program = compile_program(text, symbols, source="m03.rules")
    result = program.evaluate("m03_amount", facts, params)        # one entity, exact, with a trace
    print(explain(result.trace))                                  # Chinese explanation
    columns = program.evaluate_vectorised(["m03_amount"], fact_columns, params)   # N entities

See docs/policy-language.md for the syntax, the types, the rounding rule and schedules.
"""

from .checker import did_you_mean
from .errors import (
    LangCycleError,
    LangError,
    LangErrors,
    LangEvalError,
    LangNameError,
    LangSyntaxError,
    LangTypeError,
    Source,
    Span,
)
from .explain import explain
from .needs import Needs
from .parser import parse_expression, parse_program
from .program import CompiledExpression, Formula, Program, Result, check_program, compile_expression, compile_program
from .sources import FormulaSource, Untyped, broken_formulas, compile_in_program, compile_sources
from .symbols import FactDecl, ParamDecl, ParamShape, SymbolTable, Type
from .values import Dated, Schedule
from .vector import RationalColumn, Rows, VectorColumn, VectorEvaluator

__all__ = [
    "CompiledExpression",
    "Dated",
    "FactDecl",
    "Formula",
    "FormulaSource",
    "LangCycleError",
    "LangError",
    "LangErrors",
    "LangEvalError",
    "LangNameError",
    "LangSyntaxError",
    "LangTypeError",
    "Needs",
    "ParamDecl",
    "ParamShape",
    "Program",
    "RationalColumn",
    "Result",
    "Rows",
    "Schedule",
    "Source",
    "Span",
    "SymbolTable",
    "Type",
    "Untyped",
    "VectorColumn",
    "VectorEvaluator",
    "broken_formulas",
    "check_program",
    "compile_expression",
    "compile_in_program",
    "compile_program",
    "compile_sources",
    "did_you_mean",
    "explain",
    "parse_expression",
    "parse_program",
]
