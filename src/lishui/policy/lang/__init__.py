"""The rule language of the policy engine: conditions and amount formulas policy staff can read.

    program = compile_program(text, symbols, source="m03.rules")
    result = program.evaluate("m03_amount", facts, params)        # one entity, exact, with a trace
    print(explain(result.trace))                                  # Chinese explanation
    columns = program.evaluate_vectorised(["m03_amount"], fact_columns, params)   # N entities

See docs/policy-language.md for the syntax, the types, the rounding rule and schedules.
"""

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
from .parser import parse_expression, parse_program
from .program import CompiledExpression, Formula, Program, Result, check_program, compile_expression, compile_program
from .symbols import FactDecl, ParamDecl, ParamShape, SymbolTable, Type
from .values import Dated, Schedule
from .vector import RationalColumn, VectorColumn

__all__ = [
    "CompiledExpression",
    "Dated",
    "FactDecl",
    "Formula",
    "LangCycleError",
    "LangError",
    "LangErrors",
    "LangEvalError",
    "LangNameError",
    "LangSyntaxError",
    "LangTypeError",
    "ParamDecl",
    "ParamShape",
    "Program",
    "RationalColumn",
    "Result",
    "Schedule",
    "Source",
    "Span",
    "SymbolTable",
    "Type",
    "VectorColumn",
    "check_program",
    "compile_expression",
    "compile_program",
    "explain",
    "parse_expression",
    "parse_program",
]
