"""The vectorised evaluator agrees with the scalar one, and with a plain integer-fen reference,
on M03, M08, M21 and M22 for random enterprises — with values placed on every threshold and one
fen (or one day) either side."""

import datetime as dt
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .measures import MEASURE_AMOUNTS, PARAMS, PROGRAM, SYMBOLS
from .vectorhelp import assert_agrees

YUAN = 100  # fen
STEP = 5_000_000 * YUAN
RATE_CHANGES = [(dt.date(2015, 6, 28), Fraction(485, 10000)), (dt.date(2015, 8, 26), Fraction(460, 10000)),
                (dt.date(2015, 10, 24), Fraction(435, 10000))]


def near(values):
    """Each value and one unit either side."""
    return st.sampled_from(sorted({v + d for v in values for d in (-1, 0, 1)}))


def half_up(num: int, den: int) -> int:
    q = (2 * abs(num) + den) // (2 * den)
    return -q if num < 0 else q


def benchmark_subsidy(principal_fen: int, start: dt.date, end: dt.date) -> Fraction | None:
    """Independent M08 arithmetic in fen; None when no benchmark rate was in force yet."""
    rates = [r for d, r in RATE_CHANGES if d <= start]
    if not rates:
        return None
    return principal_fen * rates[-1] * (end - start).days / 360 / 2


@st.composite
def enterprise(draw):
    e = {}
    e["in_recognised_park"] = draw(st.booleans())
    e["tenancy_year"] = draw(st.integers(-1, 5))
    # rent × rate lands exactly on the 50,000 cap (or 1 fen around) for each year's rate; odd fen
    # amounts give half fen after × 50% and × 70%.
    e["annual_rent"] = draw(st.one_of(
        st.integers(0, 200_000 * YUAN),
        near([7_142_857, 7_142_858, 10_000_000, 16_666_666, 16_666_667, 16_666_668]),
        st.integers(0, 100).map(lambda x: 2 * x + 1),
    ))
    e["m03_received"] = draw(st.one_of(st.just(0), st.integers(0, 60_000 * YUAN), near([5_000_000, 4_200_000])))
    e["year"] = 2016
    e["included"] = draw(st.booleans())
    e["first_included_year"] = draw(st.sampled_from([2014, 2015, 2016, 2017]))
    e["m21_received"] = draw(st.sampled_from([0, 1, 3_000_000]))
    base = draw(st.integers(0, 10**11))
    growth = draw(st.one_of(st.integers(-10**10, 10**11), near([k * STEP for k in range(0, 8)])))
    e["online_retail_base"] = base
    e["online_retail"] = base + growth
    e["in_monitoring"] = draw(st.booleans())
    e["loan_principal"] = draw(st.integers(0, 10**11))
    start = draw(st.one_of(
        st.dates(dt.date(2015, 6, 1), dt.date(2016, 12, 31)),
        st.sampled_from([d + dt.timedelta(days=k) for d, _ in RATE_CHANGES for k in (-1, 0, 1)]),
    ))
    end = start + dt.timedelta(days=draw(st.integers(0, 1100)))
    e["loan_start"], e["loan_end"] = start, end
    subsidy = benchmark_subsidy(e["loan_principal"], start, end)
    paid_choices = [st.integers(0, 10**9)]
    if subsidy is not None:
        exact_fen = subsidy
        paid_choices.append(near([int(exact_fen), int(exact_fen) + 1]).map(lambda v: max(v, 0)))
    e["interest_paid"] = draw(st.one_of(*paid_choices))
    return e


def columns_of(entities):
    cols = {}
    for name, decl in SYMBOLS.facts.items():
        values = [e[name] for e in entities]
        if decl.type.value == "Date":
            cols[name] = np.array(values, dtype="datetime64[D]")
        elif decl.type.value == "Bool":
            cols[name] = np.array(values, dtype=bool)
        else:
            cols[name] = np.array(values, dtype=np.int64)
    return cols


def reference_fen(e) -> dict[str, int | None]:
    """M03/M21/M22/M08 computed directly in integer fen, independent of the rule language."""
    rate = {1: 7, 2: 5, 3: 3}.get(e["tenancy_year"])
    m03 = 0
    if e["in_recognised_park"] and rate is not None:
        remaining = max(5_000_000 - e["m03_received"], 0)
        m03 = half_up(e["annual_rent"] * rate, 10) if e["annual_rent"] * rate < remaining * 10 else remaining
    m21 = 3_000_000 if e["included"] and e["first_included_year"] == e["year"] and e["m21_received"] == 0 else 0
    steps = (e["online_retail"] - e["online_retail_base"]) // STEP
    m22 = 0
    if e["included"] and e["first_included_year"] < e["year"] and steps >= 1:
        m22 = min(steps * 1_000_000, 5_000_000)
    m08: int | None = 0
    if e["in_monitoring"]:
        subsidy = benchmark_subsidy(e["loan_principal"], e["loan_start"], e["loan_end"])
        if subsidy is None:
            m08 = None
        else:
            capped = min(subsidy, Fraction(e["interest_paid"]))
            m08 = half_up(capped.numerator, capped.denominator)
    return {"m03_amount": m03, "m21_amount": m21, "m22_amount": m22, "m08_amount": m08}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(enterprise(), min_size=1, max_size=25))
def test_vectorised_equals_scalar_and_reference(entities):
    cols = columns_of(entities)
    out = PROGRAM.evaluate_vectorised(MEASURE_AMOUNTS, cols, PARAMS)
    for name in MEASURE_AMOUNTS:
        assert_agrees(lambda facts, name=name: PROGRAM.evaluate(name, facts, PARAMS, trace=False).value,
                      out[name], SYMBOLS, cols, len(entities))
    for i, e in enumerate(entities):
        for name, fen in reference_fen(e).items():
            column = out[name]
            if fen is None:
                assert column.errors is not None and column.errors[i]
            else:
                assert column.errors is None or not column.errors[i]
                assert int(column.values[i]) == fen, (name, e)


def test_thresholds_one_fen_apart_in_one_batch():
    """A fixed batch, readable without hypothesis: M22 growth on and around every 5,000,000 step."""
    growths = [k * STEP + d for k in range(0, 7) for d in (-1, 0, 1)]
    n = len(growths)
    entity = {"in_recognised_park": False, "tenancy_year": 1, "annual_rent": 0, "m03_received": 0, "year": 2016,
              "included": True, "first_included_year": 2015, "m21_received": 0, "online_retail_base": 0,
              "in_monitoring": False, "loan_principal": 0, "loan_start": dt.date(2015, 7, 1),
              "loan_end": dt.date(2015, 7, 1), "interest_paid": 0}
    entities = [{**entity, "online_retail": g} for g in growths]
    out = PROGRAM.evaluate_vectorised(["m22_amount"], columns_of(entities), PARAMS)["m22_amount"]
    expected = [min(max((g // STEP), 0) * 1_000_000, 5_000_000) for g in growths]
    assert out.values.tolist() == expected
    assert expected[:6] == [0, 0, 0, 0, 1_000_000, 1_000_000]  # 4,999,999.99 → 0; 5,000,000.00 → 10,000
    assert out.errors is None and n == 21
