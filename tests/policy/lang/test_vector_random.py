"""Random well-typed expressions: the vectorised evaluator agrees with the scalar one on every
entity — values, and which entities fail (division by zero, a date before a rate took effect)."""

import datetime as dt
from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lishui.policy.lang import (
    Dated,
    ParamDecl,
    ParamShape,
    RationalColumn,
    Schedule,
    SymbolTable,
    Type,
    compile_expression,
)

from .vectorhelp import assert_agrees

M, D, N, B, T = Type.MONEY, Type.DECIMAL, Type.INTEGER, Type.BOOL, Type.DATE

SYMBOLS = SymbolTable(
    facts={"m1": M, "m2": M, "r1": D, "r2": D, "n1": N, "n2": N, "b1": B, "t1": T, "t2": T},
    params={
        "rate": D,
        "cap": M,
        "sched": ParamDecl(D, ParamShape.SCHEDULE),
        "msched": ParamDecl(M, ParamShape.SCHEDULE),
        "dated": ParamDecl(D, ParamShape.DATED),
    },
)
PARAMS = {
    "rate": Decimal("0.35"),
    "cap": Decimal("50000"),
    "sched": Schedule(["0.7", "0.5", "0.3"]),
    "msched": Schedule(["10000", "5000.5", "0.01"]),
    "dated": Dated(
        [(dt.date(2015, 6, 28), "0.0485"), (dt.date(2015, 8, 26), "0.046"), (dt.date(2015, 10, 24), "0.0435")]
    ),
}

LEAVES = {
    M: ["fact.m1", "fact.m2", "param.cap", "0 元", "0.01 元", "5000000 元", "1.5万元"],
    D: ["fact.r1", "fact.r2", "param.rate", "70%", "0.125", "4.35%", "fact.n1"],
    N: ["fact.n1", "fact.n2", "0", "1", "3", "360"],
    B: ["fact.b1", "true", "false"],
    T: ["fact.t1", "fact.t2", "2015-08-26"],
}


@st.composite
def expression(draw, type_, depth=3):
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(LEAVES[type_]))

    def sub(t):
        return draw(expression(t, depth - 1))

    if type_ is M:
        choice = draw(st.integers(0, 12))
        return [
            lambda: f"({sub(M)} + {sub(M)})",
            lambda: f"({sub(M)} - {sub(M)})",
            lambda: f"({sub(M)} * {sub(D)})",
            lambda: f"({sub(D)} × {sub(M)})",
            lambda: f"({sub(M)} / {sub(D)})",
            lambda: f"min({sub(M)}, {sub(M)})",
            lambda: f"max({sub(M)}, {sub(M)}, {sub(M)})",
            lambda: f"(if {sub(B)} then {sub(M)} else {sub(M)})",
            lambda: f"floor({sub(M)})",
            lambda: f"round({sub(M)}, {draw(st.integers(-3, 3))})",
            lambda: f"abs({sub(M)})",
            lambda: f"(-{sub(M)})",
            lambda: f"schedule(param.msched, {sub(N)})",
        ][choice]()
    if type_ is D:
        choice = draw(st.integers(0, 10))
        return [
            lambda: f"({sub(D)} + {sub(D)})",
            lambda: f"({sub(D)} - {sub(D)})",
            lambda: f"({sub(D)} * {sub(D)})",
            lambda: f"({sub(D)} / {sub(D)})",
            lambda: f"({sub(M)} / {sub(M)})",
            lambda: f"({sub(N)} / {sub(N)})",
            lambda: f"schedule(param.sched, {sub(N)})",
            lambda: f"at(param.dated, {sub(T)})",
            lambda: f"round({sub(D)}, {draw(st.integers(-1, 4))})",
            lambda: f"max({sub(D)}, {sub(N)})",
            lambda: f"(if {sub(B)} then {sub(D)} else {sub(N)})",
        ][choice]()
    if type_ is N:
        choice = draw(st.integers(0, 8))
        return [
            lambda: f"({sub(N)} + {sub(N)})",
            lambda: f"({sub(N)} - {sub(N)})",
            lambda: f"({sub(N)} * {sub(N)})",
            lambda: f"floor({sub(D)})",
            lambda: f"ceil({sub(D)})",
            lambda: f"({sub(T)} - {sub(T)})",
            lambda: f"year({sub(T)})",
            lambda: f"min({sub(N)}, {sub(N)})",
            lambda: f"(if {sub(B)} then {sub(N)} else {sub(N)})",
        ][choice]()
    if type_ is B:
        choice = draw(st.integers(0, 8))
        op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        return [
            lambda: f"({sub(M)} {op} {sub(M)})",
            lambda: f"({sub(D)} {op} {sub(D)})",
            lambda: f"({sub(N)} {op} {sub(N)})",
            lambda: f"({sub(T)} {op} {sub(T)})",
            lambda: f"({sub(B)} and {sub(B)})",
            lambda: f"({sub(B)} or {sub(B)})",
            lambda: f"(not {sub(B)})",
            lambda: f"in_schedule(param.sched, {sub(N)})",
            lambda: f"({sub(B)} == {sub(B)})",
        ][choice]()
    choice = draw(st.integers(0, 2))
    return [
        lambda: f"({sub(T)} + {draw(st.integers(0, 400))})",
        lambda: f"min({sub(T)}, {sub(T)})",
        lambda: f"(if {sub(B)} then {sub(T)} else {sub(T)})",
    ][choice]()


money = st.one_of(st.just(0), st.integers(-10**6, 10**6), st.integers(-10**13, 10**13))
small = st.one_of(st.just(0), st.integers(-5, 5), st.integers(-10**6, 10**6))
dates = st.dates(dt.date(2015, 6, 1), dt.date(2016, 6, 30))


@st.composite
def facts(draw, n):
    def col(strategy):
        return draw(st.lists(strategy, min_size=n, max_size=n))

    return {
        "m1": np.array(col(money), dtype=np.int64),
        "m2": np.array(col(money), dtype=np.int64),
        "r1": RationalColumn(np.array(col(small), dtype=np.int64), 1000),
        "r2": RationalColumn(np.array(col(small), dtype=np.int64), np.array(col(st.integers(1, 7)), dtype=np.int64)),
        "n1": np.array(col(small), dtype=np.int64),
        "n2": np.array(col(st.integers(-1, 4)), dtype=np.int64),
        "b1": np.array(col(st.booleans()), dtype=bool),
        "t1": np.array(col(dates), dtype="datetime64[D]"),
        "t2": np.array(col(dates), dtype="datetime64[D]"),
    }


@st.composite
def case(draw):
    type_ = draw(st.sampled_from([M, D, N, B, T]))
    text = draw(expression(type_, depth=draw(st.integers(1, 4))))
    n = draw(st.integers(1, 12))
    return type_, text, n, draw(facts(n))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case())
def test_random_expressions_agree(data):
    type_, text, n, cols = data
    compiled = compile_expression(text, SYMBOLS)
    assert compiled.type is type_ or (type_ is D and compiled.type is N)
    column = compiled.evaluate_vectorised(cols, PARAMS)
    assert_agrees(lambda f: compiled.evaluate(f, PARAMS, trace=False).value, column, SYMBOLS, cols, n)
