"""Helpers for comparing the vectorised evaluator with the scalar one, entity by entity."""

from decimal import Decimal
from fractions import Fraction

import numpy as np

from lishui.policy.lang import LangEvalError, RationalColumn, Type


def entity_facts(symbols, columns, i):
    """The scalar facts of entity ``i`` from fact columns (money in fen → Decimal yuan)."""
    facts = {}
    for name, column in columns.items():
        type_ = symbols.facts[name].type
        if isinstance(column, RationalColumn):
            den = column.den[i] if isinstance(column.den, np.ndarray) else column.den
            facts[name] = Fraction(int(column.num[i]), int(den))
        elif type_ is Type.MONEY:
            facts[name] = Decimal(int(column[i])).scaleb(-2)
        elif type_ is Type.INTEGER:
            facts[name] = int(column[i])
        elif type_ is Type.BOOL:
            facts[name] = bool(column[i])
        else:
            facts[name] = column[i].item()
    return facts


def assert_agrees(evaluate_scalar, column, symbols, columns, size):
    """Every entity: the same value, or an error in both."""
    assert len(column) == size
    for i in range(size):
        facts = entity_facts(symbols, columns, i)
        try:
            expected = evaluate_scalar(facts)
        except LangEvalError:
            assert column.errors is not None and column.errors[i], f"entity {i}: scalar failed, vector did not"
            continue
        assert column.errors is None or not column.errors[i], f"entity {i}: vector failed, scalar gave {expected}"
        got = column.exact_value(i)
        assert got == expected and type(got) is type(expected), f"entity {i}: {got!r} != {expected!r}"
