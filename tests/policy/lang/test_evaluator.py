"""Scalar evaluator semantics: exactness, rounding once, laziness, errors and inputs."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from lishui.policy.lang import (
    Dated,
    LangEvalError,
    ParamDecl,
    ParamShape,
    Schedule,
    SymbolTable,
    Type,
    compile_expression,
    compile_program,
)

SYMBOLS = SymbolTable(
    facts={"a": Type.MONEY, "b": Type.MONEY, "n": Type.INTEGER, "r": Type.DECIMAL, "ok": Type.BOOL,
           "d": Type.DATE, "e": Type.DATE},
    params={"rates": ParamDecl(Type.DECIMAL, ParamShape.SCHEDULE),
            "amounts": ParamDecl(Type.MONEY, ParamShape.SCHEDULE),
            "counts": ParamDecl(Type.INTEGER, ParamShape.SCHEDULE),
            "rate": ParamDecl(Type.DECIMAL, ParamShape.DATED),
            "cap": Type.MONEY},
)
PARAMS = {
    "rates": Schedule(["0.7", "0.5"]),
    "amounts": Schedule([Decimal("10000"), Decimal("5000"), Decimal("5000")]),
    "counts": Schedule([3]),
    "rate": Dated([(dt.date(2015, 1, 1), Decimal("0.05")), (dt.date(2016, 1, 1), Decimal("0.04"))]),
    "cap": Decimal("50000"),
}


def value(text, as_of=None, **facts):
    return compile_expression(text, SYMBOLS).evaluate(facts, PARAMS, as_of=as_of).value


def test_money_is_rounded_once_at_the_end_not_per_step():
    # 0.005 + 0.005 = 0.01; rounding each half first would give 0.02.
    assert value("fact.a * 50% + fact.b * 50%", a=Decimal("0.01"), b=Decimal("0.01")) == Decimal("0.01")
    # 1/3 three times is exactly 1, not 0.99.
    assert value("fact.a / 3 + fact.a / 3 + fact.a / 3", a=Decimal(1)) == Decimal("1.00")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("-0.005", "-0.01"), ("2.675", "2.68"), ("1.0049999", "1.00")],
)
def test_half_up_to_the_fen(amount, expected):
    assert value("fact.a * 1", a=Decimal(amount)) == Decimal(expected)


def test_round_floor_ceil_abs():
    assert value("round(fact.r, 2)", r=Decimal("0.125")) == Fraction(13, 100)
    assert value("round(fact.r, 2)", r=Decimal("-0.125")) == Fraction(-13, 100)
    assert value("round(fact.a, -3)", a=Decimal("12500")) == Decimal("13000.00")
    assert value("round(fact.n, -1)", n=25) == 30
    assert value("floor(fact.r)", r=Decimal("-1.5")) == -2
    assert value("ceil(fact.r)", r=Decimal("-1.5")) == -1
    assert value("floor(fact.a)", a=Decimal("99.99")) == Decimal("99.00")
    assert value("abs(fact.a - fact.b)", a=Decimal(1), b=Decimal(3)) == Decimal("2.00")


def test_integer_division_gives_an_exact_decimal():
    result = compile_expression("fact.n / 3", SYMBOLS).evaluate({"n": 2}, PARAMS)
    assert result.type is Type.DECIMAL and result.value == Fraction(2, 3)
    assert result.trace["targets"][0] == {
        "name": None, "label": None, "expr": "fact.n / 3", "file": "<表达式>", "line": 1, "column": 1,
        "type": "Decimal", "value": "0.666667", "approximate": True, "exact": "2/3",
    }


def test_dates():
    d, e = dt.date(2016, 2, 28), dt.date(2016, 3, 1)
    assert value("fact.e - fact.d", d=d, e=e) == 2
    assert value("fact.d + 2", d=d) == e
    assert value("fact.e - 2", e=e) == d
    assert value("year(fact.d)", d=d) == 2016
    assert value("fact.d < 2016-02-29", d=d) is True
    assert value("max(fact.d, fact.e)", d=d, e=e) == e


def test_schedules_read_zero_outside_their_years():
    assert [value("schedule(param.amounts, fact.n)", n=n) for n in (-1, 0, 1, 2, 3, 4)] == [
        Decimal("0.00"), Decimal("0.00"), Decimal("10000.00"), Decimal("5000.00"), Decimal("5000.00"), Decimal("0.00")]
    assert [value("schedule(param.counts, fact.n)", n=n) for n in (0, 1, 2)] == [0, 3, 0]
    assert [value("in_schedule(param.rates, fact.n)", n=n) for n in (0, 1, 2, 3)] == [False, True, True, False]


def test_dated_parameters_by_date_and_on_the_evaluation_date():
    assert value("at(param.rate, fact.d)", d=dt.date(2015, 12, 31)) == Fraction(1, 20)
    assert value("at(param.rate, fact.d)", d=dt.date(2016, 1, 1)) == Fraction(1, 25)
    assert value("param.rate", as_of=dt.date(2016, 6, 30)) == Fraction(1, 25)
    with pytest.raises(LangEvalError, match="必须给出计算日期") as info:
        value("param.rate")
    assert info.value.code == "missing_date"
    with pytest.raises(LangEvalError, match="2014-12-31 尚未生效"):
        value("param.rate", as_of=dt.date(2014, 12, 31))


def test_if_and_or_are_lazy_so_guards_work():
    guarded = "if fact.n > 0 then fact.a / fact.n else 0 元"
    assert value(guarded, n=0, a=Decimal(5)) == Decimal("0.00")
    assert value(guarded, n=2, a=Decimal(5)) == Decimal("2.50")
    assert value("fact.n > 0 and fact.a / fact.n > 1 元", n=0, a=Decimal(5)) is False
    assert value("fact.n == 0 or fact.a / fact.n > 1 元", n=0, a=Decimal(5)) is True
    # Facts that are not reached are not needed.
    assert value("if fact.ok then fact.a else 0 元", ok=False) == Decimal("0.00")


def test_division_by_zero_names_the_divisor():
    with pytest.raises(LangEvalError) as info:
        value("fact.a / (fact.n - 2)", a=Decimal(1), n=2)
    assert info.value.code == "division_by_zero"
    assert info.value.message == "除数为零：(fact.n - 2) 的值是 0"
    assert info.value.column == 10


@pytest.mark.parametrize(
    ("facts", "code", "phrase"),
    [
        ({}, "missing_fact", "缺少事实 fact.a 的值"),
        ({"a": 1.5}, "bad_value", "不接受浮点数"),
        ({"a": True}, "bad_value", "不接受浮点数或真假值"),
        ({"a": "abc"}, "bad_value", "事实 fact.a 应为金额"),
        ({"a": Decimal("NaN")}, "bad_value", "事实 fact.a 应为金额"),
    ],
)
def test_bad_or_missing_facts(facts, code, phrase):
    with pytest.raises(LangEvalError) as info:
        compile_expression("fact.a * 2", SYMBOLS).evaluate(facts, PARAMS)
    assert info.value.code == code and phrase in info.value.message


def test_integer_and_date_inputs_are_checked():
    with pytest.raises(LangEvalError, match="应为整数"):
        value("fact.n + 1", n=Decimal("1.5"))
    assert value("fact.n + 1", n=Decimal("2")) == 3
    with pytest.raises(LangEvalError, match="应为日期"):
        value("year(fact.d)", d=dt.datetime(2016, 1, 1, 12, 0))
    assert value("year(fact.d)", d="2016-01-01") == 2016
    with pytest.raises(LangEvalError, match="应为真假值"):
        value("not fact.ok", ok=1)


def test_missing_or_misshapen_parameters():
    expr = compile_expression("schedule(param.rates, 1)", SYMBOLS)
    with pytest.raises(LangEvalError, match=r"缺少参数 param\.rates"):
        expr.evaluate({}, {})
    with pytest.raises(LangEvalError, match="时间表"):
        expr.evaluate({}, {"rates": Decimal("0.7")})
    with pytest.raises(LangEvalError, match="单个值"):
        compile_expression("param.cap", SYMBOLS).evaluate({}, {"cap": Schedule([1])})


def test_parameter_containers_refuse_bad_shapes():
    with pytest.raises(ValueError, match="至少"):
        Schedule([])
    with pytest.raises(ValueError, match="同一天"):
        Dated([(dt.date(2015, 1, 1), 1), (dt.date(2015, 1, 1), 2)])


def test_named_formulas_are_computed_once_and_unknown_targets_refused():
    program = compile_program("base = fact.a * 2\ntotal = base + base + base", SYMBOLS)
    result = program.evaluate("total", {"a": Decimal(1)}, PARAMS)
    assert result.value == Decimal("6.00")
    assert [f["name"] for f in result.trace["formulas"]] == ["base", "total"]
    with pytest.raises(Exception, match="是否是指 total"):
        program.evaluate("totl", {}, PARAMS)


def test_trace_can_be_switched_off():
    result = compile_expression("fact.a * 2", SYMBOLS).evaluate({"a": Decimal(1)}, PARAMS, trace=False)
    assert result.trace is None and result.value == Decimal("2.00")


def test_constant_steps_are_left_out_of_the_trace():
    result = compile_expression("fact.a * (2 + 3)", SYMBOLS).evaluate({"a": Decimal(1)}, PARAMS)
    assert [s["expr"] for s in result.trace["steps"]] == ["fact.a * (2 + 3)"]
