"""Vectorised evaluator: representation, overflow, per-entity errors and input checks."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from lishui.policy.lang import (
    Dated,
    LangEvalError,
    ParamDecl,
    ParamShape,
    RationalColumn,
    Schedule,
    SymbolTable,
    Type,
    compile_expression,
    compile_program,
)

SYMBOLS = SymbolTable(
    facts={"a": Type.MONEY, "b": Type.MONEY, "n": Type.INTEGER, "r": Type.DECIMAL, "ok": Type.BOOL, "d": Type.DATE},
    params={"rate": ParamDecl(Type.DECIMAL, ParamShape.DATED), "rates": ParamDecl(Type.DECIMAL, ParamShape.SCHEDULE),
            "cap": Type.MONEY},
)
PARAMS = {"rate": Dated([(dt.date(2015, 1, 1), Decimal("0.05")), (dt.date(2016, 1, 1), Decimal("0.04"))]),
          "rates": Schedule(["0.7", "0.5", "0.3"]), "cap": Decimal(50000)}


def vec(text, columns, **kw):
    return compile_expression(text, SYMBOLS).evaluate_vectorised(columns, PARAMS, **kw)


def test_money_result_is_int64_fen_rounded_half_up():
    out = vec("fact.a * 70%", {"a": np.array([1, 5, 15, -5, 10_000_000], dtype=np.int64)})
    # 0.7, 3.5, 10.5, -3.5 fen → 1, 4, 11, -4; 100,000 yuan → 70,000.00
    assert out.type is Type.MONEY and out.values.dtype == np.int64
    assert out.values.tolist() == [1, 4, 11, -4, 7_000_000]
    assert out.errors is None


def test_decimal_result_is_exact_numerators_over_denominators():
    out = vec("fact.a / fact.b", {"a": np.array([100, 200]), "b": np.array([300, 300])})
    assert out.type is Type.DECIMAL
    assert [out.exact_value(i) for i in range(2)] == [Fraction(1, 3), Fraction(2, 3)]


def test_schedule_reads_zero_outside_and_per_entity_year():
    out = vec("schedule(param.rates, fact.n)", {"n": np.array([-1, 0, 1, 2, 3, 4])})
    assert [out.exact_value(i) for i in range(6)] == [0, 0, Fraction(7, 10), Fraction(1, 2), Fraction(3, 10), 0]
    inside = vec("in_schedule(param.rates, fact.n)", {"n": np.array([0, 1, 3, 4])})
    assert inside.values.tolist() == [False, True, True, False]


def test_dated_lookup_per_entity_and_on_the_evaluation_date():
    days = np.array(["2014-12-31", "2015-01-01", "2015-12-31", "2016-01-01"], dtype="datetime64[D]")
    out = vec("at(param.rate, fact.d)", {"d": days})
    assert out.errors.tolist() == [True, False, False, False]
    assert [out.exact_value(i) for i in range(1, 4)] == [Fraction(1, 20), Fraction(1, 20), Fraction(1, 25)]
    on_date = vec("fact.a * param.rate", {"a": np.array([10000])}, as_of=dt.date(2016, 3, 1))
    assert on_date.values.tolist() == [400]
    with pytest.raises(LangEvalError, match="尚未生效"):
        vec("fact.a * param.rate", {"a": np.array([10000])}, as_of=dt.date(2014, 3, 1))


def test_division_by_zero_marks_only_the_entities_that_reach_it():
    cols = {"a": np.array([100, 100, 100]), "n": np.array([0, 2, 0])}
    unguarded = vec("fact.a / fact.n", cols)
    assert unguarded.errors.tolist() == [True, False, True]
    assert unguarded.values.tolist() == [0, 50, 0]
    guarded = vec("if fact.n > 0 then fact.a / fact.n else 0 元", cols)
    assert guarded.errors is None or not guarded.errors.any()
    assert guarded.values.tolist() == [0, 50, 0]
    short = vec("fact.n != 0 and fact.a / fact.n > 0 元", cols)
    assert short.errors is None or not short.errors.any()
    assert short.values.tolist() == [False, True, False]
    both = vec("fact.n == 0 or fact.a / fact.n > 100 元", cols)
    assert both.values.tolist() == [True, False, True]
    assert both.errors is None or not both.errors.any()
    constant = vec("fact.a / 0", cols)
    assert constant.errors.tolist() == [True, True, True]


def test_values_beyond_int64_fall_back_to_exact_python_integers():
    huge = 4 * 10**18  # fen: 40 quadrillion yuan, near the int64 limit
    cols = {"a": np.array([huge, -huge, 3], dtype=np.int64), "b": np.array([huge, huge, 1], dtype=np.int64)}
    total = vec("fact.a + fact.b + fact.b", cols)
    assert total.values.dtype == object
    assert total.values.tolist() == [3 * huge, huge, 5]
    product = vec("fact.a * 123456789 / 7", cols)
    expected = [(v * 123456789 * 2 + 7) // 14 if v >= 0 else -((-v * 123456789 * 2 + 7) // 14)
                for v in (huge, -huge, 3)]
    assert product.values.tolist() == expected
    back_in_range = vec("fact.a * 1000 / 1000 - fact.a + fact.b / 100000", cols)
    assert back_in_range.values.dtype == np.int64
    assert back_in_range.values.tolist() == [4 * 10**13, 4 * 10**13, 0]


def test_constant_results_are_broadcast_to_every_entity():
    out = vec("param.cap * 2", {"a": np.array([1, 2, 3])})
    assert out.values.tolist() == [10_000_000] * 3
    flag = vec("1 < 2", {}, size=2)
    assert flag.values.tolist() == [True, True]


def test_dates_in_and_out():
    days = np.array(["2016-02-28", "2015-12-31"], dtype="datetime64[D]")
    out = vec("fact.d + 1", {"d": days})
    assert out.values.tolist() == [dt.date(2016, 2, 29), dt.date(2016, 1, 1)]
    assert vec("year(fact.d)", {"d": days}).values.tolist() == [2016, 2015]
    assert vec("fact.d - 2015-01-01", {"d": days}).values.tolist() == [423, 364]


def test_named_formulas_over_all_entities():
    program = compile_program("base = fact.a * 70%\ncapped = min(base, param.cap)\ntwice = capped + capped", SYMBOLS)
    out = program.evaluate_vectorised(["capped", "twice"], {"a": np.array([5_000_000, 1_000_000_000])}, PARAMS)
    # 50,000 × 70% = 35,000; 10,000,000 × 70% is capped at 50,000
    assert out["capped"].values.tolist() == [3_500_000, 5_000_000]
    assert out["twice"].values.tolist() == [7_000_000, 10_000_000]


@pytest.mark.parametrize(
    ("columns", "phrase"),
    [
        ({"a": np.array([1.5, 2.0])}, "不接受浮点数"),
        ({"a": np.array([1, 2]), "b": np.array([1])}, "长度不一致"),
        ({"b": np.array([1, 2])}, "缺少事实 fact.a"),
        ({"a": np.array([True, False])}, "整数数组"),
    ],
)
def test_bad_columns(columns, phrase):
    with pytest.raises(LangEvalError, match=phrase):
        vec("fact.a * 2", columns)


def test_bad_bool_date_and_decimal_columns():
    with pytest.raises(LangEvalError, match="真假值"):
        vec("not fact.ok", {"ok": np.array([1, 0])})
    with pytest.raises(LangEvalError, match="datetime64"):
        vec("year(fact.d)", {"d": np.array([20150101])})
    with pytest.raises(LangEvalError, match="空日期"):
        vec("year(fact.d)", {"d": np.array(["NaT"], dtype="datetime64[D]")})
    with pytest.raises(LangEvalError, match="分母必须为正"):
        vec("fact.r * 2", {"r": RationalColumn(np.array([1]), np.array([0]))})
    ok = vec("fact.r * 2", {"r": RationalColumn(np.array([1, 3]), 4)})
    assert [ok.exact_value(i) for i in range(2)] == [Fraction(1, 2), Fraction(3, 2)]
    plain = vec("fact.r * 2", {"r": np.array([1, 3])})
    assert [plain.exact_value(i) for i in range(2)] == [2, 6]


def test_rounding_an_integer_keeps_it_an_integer():
    # Found by the random-expression property test: round(Integer, 1) must stay a whole number.
    out = vec("round(fact.n, 1) + round(fact.n, -1)", {"n": np.array([0, 5, -15])})
    assert out.type is Type.INTEGER
    assert out.values.tolist() == [0, 15, -35]
