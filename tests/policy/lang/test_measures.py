"""Scalar evaluation of M03, M08, M21, M22 against hand-computed amounts, with the boundaries."""

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction

import pytest

from lishui.policy.lang import LangEvalError, Type, explain

from .measures import PARAMS, PROGRAM, RULES, base_facts


def amount(name, **facts) -> Decimal:
    result = PROGRAM.evaluate(name, base_facts(**facts), PARAMS)
    assert result.type is Type.MONEY
    return result.value


D = Decimal


# -- M03: rent × 70/50/30% by tenancy year, at most 50,000 cumulative ---------------------------

@pytest.mark.parametrize(
    ("year", "rent", "received", "expected"),
    [
        (1, "60000", "0", "42000.00"),  # 60,000 × 70%
        (2, "60000", "42000", "8000.00"),  # 30,000 capped by the 8,000 left of 50,000
        (3, "60000", "50000", "0.00"),  # cap used up
        (3, "20000", "40000", "6000.00"),  # 20,000 × 30% fits in the 10,000 left
        (3, "40000", "38000", "12000.00"),  # exactly the 12,000 left
        (2, "24000.02", "38000", "12000.00"),  # 12,000.01 is one fen over what is left
        (1, "71428.57", "0", "50000.00"),  # 49,999.999 exactly, rounded once at the end
        (1, "71428.56", "0", "49999.99"),  # 49,999.992
        (1, "80000", "0", "50000.00"),  # 56,000 capped
        (3, "0.05", "0", "0.02"),  # 0.015 rounds half-up
        (3, "0.01", "0", "0.00"),  # 0.003
        (4, "60000", "0", "0.00"),  # the year after the schedule ends
        (0, "60000", "0", "0.00"),  # before the first year
        (2, "60000", "60000", "0.00"),  # received more than the cap (a data error) never gives a negative
    ],
)
def test_m03_rent_subsidy(year, rent, received, expected):
    got = amount("m03_amount", in_recognised_park=True, tenancy_year=year, annual_rent=D(rent),
                 m03_received=D(received))
    assert got == D(expected)
    assert str(got) == expected


def test_m03_needs_a_recognised_park():
    assert amount("m03_amount", in_recognised_park=False, tenancy_year=1, annual_rent=D(60000)) == 0


def test_m03_rate_and_eligibility_by_year():
    rates = [PROGRAM.evaluate("m03_rate", base_facts(tenancy_year=y), PARAMS).value for y in range(0, 6)]
    assert rates == [0, Fraction(7, 10), Fraction(1, 2), Fraction(3, 10), 0, 0]
    eligible = [PROGRAM.evaluate("m03_eligible", base_facts(in_recognised_park=True, tenancy_year=y), PARAMS).value
                for y in range(0, 6)]
    assert eligible == [False, True, True, True, False, False]


# -- M22: 10,000 per full 5,000,000 of growth, at most 50,000, not in the year of first inclusion ---

@pytest.mark.parametrize(
    ("growth", "expected"),
    [
        ("4999999.99", "0.00"),
        ("5000000.00", "10000.00"),
        ("5000000.01", "10000.00"),
        ("9999999.99", "10000.00"),
        ("10000000.00", "20000.00"),
        ("24999999.99", "40000.00"),  # where 32-bit floats paid 50,000
        ("25000000.00", "50000.00"),
        ("25000000.01", "50000.00"),
        ("30000000.00", "50000.00"),  # capped
        ("123456789.12", "50000.00"),
        ("0", "0.00"),
        ("-7000000", "0.00"),  # retail fell
    ],
)
def test_m22_growth_award(growth, expected):
    base = D("80000000.00")
    got = amount("m22_amount", included=True, first_included_year=2015, year=2016, online_retail=base + D(growth),
                 online_retail_base=base)
    assert got == D(expected)


def test_m22_not_in_the_year_of_first_inclusion_nor_when_not_included():
    facts = {"first_included_year": 2016, "year": 2016, "online_retail": D(20_000_000), "online_retail_base": D(0)}
    assert amount("m22_amount", included=True, **facts) == 0
    assert amount("m22_amount", included=True, **{**facts, "first_included_year": 2015}) == D(40000)
    assert amount("m22_amount", included=False, **{**facts, "first_included_year": 2015}) == 0


# -- M21: 30,000 once, on first inclusion -------------------------------------------------------

@pytest.mark.parametrize(
    ("included", "first_year", "received", "expected"),
    [
        (True, 2016, "0", "30000.00"),
        (True, 2015, "0", "0.00"),  # included the year before
        (True, 2017, "0", "0.00"),  # first inclusion recorded for a later year
        (True, 2016, "30000", "0.00"),  # already paid
        (True, 2016, "0.01", "0.00"),
        (False, 2016, "0", "0.00"),
    ],
)
def test_m21_first_inclusion_award(included, first_year, received, expected):
    got = amount("m21_amount", included=included, first_included_year=first_year, year=2016,
                 m21_received=D(received))
    assert got == D(expected)


# -- M08: 50% of the interest at the benchmark rate, actual/360, at most the interest paid ------

@pytest.mark.parametrize(
    ("principal", "start", "end", "paid", "expected"),
    [
        # 1,000,000 × 4.85% × 181/360 = 24,384.7222…; half is 12,192.3611… → 12,192.36
        ("1000000", dt.date(2015, 7, 1), dt.date(2015, 12, 29), "30000", "12192.36"),
        # the same loan with only 10,000 of interest paid: capped at what was paid
        ("1000000", dt.date(2015, 7, 1), dt.date(2015, 12, 29), "10000", "10000.00"),
        # paid exactly the subsidy, and one fen less
        ("500000", dt.date(2015, 10, 24), dt.date(2016, 1, 22), "2718.75", "2718.75"),
        ("500000", dt.date(2015, 10, 24), dt.date(2016, 1, 22), "2718.74", "2718.74"),
        # starts on the day 4.60% takes effect: 1,000,000 × 4.60% × 365/360 / 2 = 23,319.444… → 23,319.44
        ("1000000", dt.date(2015, 8, 26), dt.date(2016, 8, 25), "100000", "23319.44"),
        # one day earlier is still at 4.85%: × 366/360 / 2 = 24,654.1666… → 24,654.17
        ("1000000", dt.date(2015, 8, 25), dt.date(2016, 8, 25), "100000", "24654.17"),
        # 600 × 4.35% × 36/360 / 2 = 1.305 exactly: half-up gives 1.31 (banker's rounding would give 1.30)
        ("600", dt.date(2015, 11, 1), dt.date(2015, 12, 7), "100", "1.31"),
        # 2016 is a leap year: 2016-01-01 → 2017-01-01 is 366 days
        ("360000", dt.date(2016, 1, 1), dt.date(2017, 1, 1), "100000", "7960.50"),
    ],
)
def test_m08_interest_subsidy(principal, start, end, paid, expected):
    got = amount("m08_amount", in_monitoring=True, loan_principal=D(principal), loan_start=start, loan_end=end,
                 interest_paid=D(paid))
    assert got == D(expected)


def test_m08_only_for_monitored_enterprises():
    assert amount("m08_amount", in_monitoring=False, loan_principal=D(1_000_000), loan_start=dt.date(2015, 7, 1),
                  loan_end=dt.date(2016, 7, 1), interest_paid=D(50_000)) == 0


def test_m08_loan_before_any_benchmark_rate_is_an_error_with_position():
    with pytest.raises(LangEvalError) as info:
        amount("m08_amount", in_monitoring=True, loan_principal=D(1000), loan_start=dt.date(2015, 6, 27),
               loan_end=dt.date(2015, 7, 27), interest_paid=D(10))
    error = info.value
    assert error.code == "param_not_in_force"
    assert "2015-06-27 尚未生效" in error.message and "2015-06-28" in error.message
    line = next(i for i, text in enumerate(RULES.splitlines(), 1) if "at(param.benchmark_rate" in text)
    assert (error.file, error.line) == ("measures.rules", line)
    assert error.column == RULES.splitlines()[line - 1].index("param.benchmark_rate") + 1


# -- exactness, rounding and the trace ----------------------------------------------------------

def test_unrounded_intermediate_and_exact_value():
    result = PROGRAM.evaluate("m08_amount", base_facts(in_monitoring=True, loan_principal=D(1_000_000),
                                                       loan_start=dt.date(2015, 7, 1), loan_end=dt.date(2015, 12, 29),
                                                       interest_paid=D(30_000)), PARAMS)
    assert result.exact == Fraction(1_000_000 * 485 * 181, 10_000 * 360 * 2)
    assert result.value == D("12192.36")
    target = result.trace["targets"][0]
    assert target["value"] == "12192.36"
    assert target["unrounded"] == "12192.361111" and target["unrounded_exact"] is False


def test_trace_lists_facts_params_formulas_and_steps_and_is_json():
    result = PROGRAM.evaluate("m03_amount", base_facts(in_recognised_park=True, tenancy_year=2,
                                                       annual_rent=D(60000), m03_received=D(42000)), PARAMS)
    trace = json.loads(json.dumps(result.trace, ensure_ascii=False))
    facts = {f["name"]: f["value"] for f in trace["facts"]}
    assert facts == {"in_recognised_park": True, "tenancy_year": "2", "annual_rent": "60000.00",
                     "m03_received": "42000.00"}
    rate = next(p for p in trace["params"] if p["name"] == "m03_rent_rates" and not p.get("membership"))
    assert (rate["year"], rate["value"], rate["years"]) == (2, "0.5", 3)
    formulas = {f["name"]: f["value"] for f in trace["formulas"]}
    assert formulas == {"m03_eligible": True, "m03_rate": "0.5", "m03_remaining": "8000.00",
                        "m03_amount": "8000.00"}
    steps = {s["expr"]: s["value"] for s in trace["steps"]}
    assert steps["fact.annual_rent × m03_rate"] == "30000.00"
    assert steps["min(fact.annual_rent × m03_rate, m03_remaining)"] == "8000.00"
    assert all(s["file"] == "measures.rules" for s in trace["steps"])


def test_dated_parameter_in_trace_names_its_effective_date():
    result = PROGRAM.evaluate("m08_amount", base_facts(in_monitoring=True, loan_principal=D(1000),
                                                       loan_start=dt.date(2015, 9, 1), loan_end=dt.date(2015, 10, 1),
                                                       interest_paid=D(100)), PARAMS)
    rate = next(p for p in result.trace["params"] if p["name"] == "benchmark_rate")
    assert rate == {"name": "benchmark_rate", "label": "一年期贷款基准利率", "type": "Decimal", "shape": "dated",
                    "on": "2015-09-01", "effective_from": "2015-08-26", "value": "0.046"}


def test_chinese_explanation():
    result = PROGRAM.evaluate("m03_amount", base_facts(in_recognised_park=True, tenancy_year=4,
                                                       annual_rent=D(60000)), PARAMS)
    text = explain(result.trace)
    assert text.splitlines()[0] == "计算结果：房租补助（m03_amount） = 0.00 元"
    assert "本年度房租（fact.annual_rent） = 60,000.00 元" not in text  # not reached: the branch was not taken
    assert "入驻年度（自入驻起算）（fact.tenancy_year） = 4" in text
    assert "房租补助比例（按入驻年度）（param.m03_rent_rates）：第 4 年超出时间表（时间表共 3 年）" in text
    assert "符合房租补助条件（m03_eligible） = 不成立" in text


def test_explanation_of_rounding():
    result = PROGRAM.evaluate("m08_amount", base_facts(in_monitoring=True, loan_principal=D(1_000_000),
                                                       loan_start=dt.date(2015, 7, 1), loan_end=dt.date(2015, 12, 29),
                                                       interest_paid=D(30_000)), PARAMS)
    text = explain(result.trace)
    assert "计算结果：贷款贴息（m08_amount） = 12,192.36 元" in text
    assert "舍入前的结果约为 12,192.361111 元，按四舍五入保留到分" in text
    assert ("一年期贷款基准利率（param.benchmark_rate）：2015-07-01 适用的值 = 0.0485（4.85%）"
            "（自 2015-06-28 起生效）") in text
    assert "计息天数（m08_days） = 181" in text


def test_evaluate_many_shares_one_trace():
    results = PROGRAM.evaluate_many(["m21_amount", "m22_amount"], base_facts(
        included=True, first_included_year=2016, year=2016, online_retail=D(9_000_000)), PARAMS)
    assert results["m21_amount"].value == D(30000) and results["m22_amount"].value == 0
    assert results["m21_amount"].trace is results["m22_amount"].trace
    assert [t["name"] for t in results["m21_amount"].trace["targets"]] == ["m21_amount", "m22_amount"]
    assert "m21_amount" in explain(results["m22_amount"].trace)
