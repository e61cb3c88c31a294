"""Formulas of M03, M08, M21 and M22 written in the rule language, with the parameters of MEASURES.md.

Shared by the scalar tests and the vectorised agreement tests. The real pack (issue 3) will hold
its own copy next to the clauses; these are the language's worked examples.
"""

import datetime as dt
from decimal import Decimal

from lishui.policy.lang import Dated, FactDecl, ParamDecl, ParamShape, Schedule, SymbolTable, Type, compile_program

SYMBOLS = SymbolTable(
    facts={
        # M03
        "in_recognised_park": FactDecl(Type.BOOL, "入驻认定的电子商务园区"),
        "tenancy_year": FactDecl(Type.INTEGER, "入驻年度（自入驻起算）"),
        "annual_rent": FactDecl(Type.MONEY, "本年度房租"),
        "m03_received": FactDecl(Type.MONEY, "已获得的房租补助"),
        # M21 / M22
        "year": FactDecl(Type.INTEGER, "申报年度"),
        "included": FactDecl(Type.BOOL, "网络零售额已纳入统计"),
        "first_included_year": FactDecl(Type.INTEGER, "首次纳入统计的年度"),
        "m21_received": FactDecl(Type.MONEY, "已获得的首次纳统奖励"),
        "online_retail": FactDecl(Type.MONEY, "本年度网络零售额"),
        "online_retail_base": FactDecl(Type.MONEY, "基数（上年度网络零售额）"),
        # M08
        "in_monitoring": FactDecl(Type.BOOL, "纳入商务部门监测统计"),
        "loan_principal": FactDecl(Type.MONEY, "贷款本金"),
        "loan_start": FactDecl(Type.DATE, "贷款起始日"),
        "loan_end": FactDecl(Type.DATE, "贷款到期日"),
        "interest_paid": FactDecl(Type.MONEY, "实际支付的利息"),
    },
    params={
        "m03_rent_rates": ParamDecl(Type.DECIMAL, ParamShape.SCHEDULE, "房租补助比例（按入驻年度）"),
        "m03_cap": ParamDecl(Type.MONEY, label="房租补助累计上限"),
        "m21_award": ParamDecl(Type.MONEY, label="首次纳统奖励"),
        "m22_step": ParamDecl(Type.MONEY, label="增长奖励的计奖档位"),
        "m22_award_per_step": ParamDecl(Type.MONEY, label="每档奖励"),
        "m22_cap": ParamDecl(Type.MONEY, label="增长奖励年度上限"),
        "benchmark_rate": ParamDecl(Type.DECIMAL, ParamShape.DATED, "一年期贷款基准利率"),
        "m08_share": ParamDecl(Type.DECIMAL, label="贴息比例"),
        "m08_day_basis": ParamDecl(Type.INTEGER, label="计息天数基准"),
    },
)

RULES = """
# M03 二(二)4 — rent of e-commerce enterprises in a recognised park: 70/50/30% in tenancy years 1-3,
# at most 50,000 per enterprise over the three years (default reading: cumulative).
m03_rate "房租补助比例" = schedule(param.m03_rent_rates, fact.tenancy_year)
m03_eligible "符合房租补助条件" = fact.in_recognised_park and in_schedule(param.m03_rent_rates, fact.tenancy_year)
m03_remaining "累计上限内的剩余额度" = max(param.m03_cap - fact.m03_received, 0 元)
m03_amount "房租补助" = if m03_eligible then min(fact.annual_rent × m03_rate, m03_remaining) else 0 元

# M21 二(七) — online retail included in the statistics for the first time: 30,000, once.
m21_eligible "首次纳统" = fact.included and fact.first_included_year == fact.year and fact.m21_received == 0 元
m21_amount "首次纳统奖励" = if m21_eligible then param.m21_award else 0 元

# M22 二(七) — 10,000 for every full 5,000,000 of growth, at most 50,000 a year,
# not in the year of first inclusion.
m22_growth "网络零售额增长" = fact.online_retail - fact.online_retail_base
m22_steps "满 500 万元的档数" = floor(m22_growth / param.m22_step)
m22_eligible "符合增长奖励条件" = fact.included and fact.first_included_year < fact.year and m22_steps >= 1
m22_amount "网络零售增长奖励" = if m22_eligible then min(m22_steps × param.m22_award_per_step, param.m22_cap) else 0 元

# M08 二(二)6 — 50% of the interest at the benchmark rate in force at the loan's start, actual/360,
# never more than the interest actually paid.
m08_days "计息天数" = fact.loan_end - fact.loan_start
m08_benchmark_interest "按基准利率计算的利息" =
    fact.loan_principal × at(param.benchmark_rate, fact.loan_start) × m08_days / param.m08_day_basis
m08_amount "贷款贴息" =
    if fact.in_monitoring then min(m08_benchmark_interest × param.m08_share, fact.interest_paid) else 0 元
"""

PROGRAM = compile_program(RULES, SYMBOLS, source="measures.rules")

PARAMS = {
    "m03_rent_rates": Schedule([Decimal("0.70"), Decimal("0.50"), Decimal("0.30")]),
    "m03_cap": Decimal("50000"),
    "m21_award": Decimal("30000"),
    "m22_step": Decimal("5000000"),
    "m22_award_per_step": Decimal("10000"),
    "m22_cap": Decimal("50000"),
    "benchmark_rate": Dated(
        [
            (dt.date(2015, 6, 28), Decimal("0.0485")),
            (dt.date(2015, 8, 26), Decimal("0.0460")),
            (dt.date(2015, 10, 24), Decimal("0.0435")),
        ]
    ),
    "m08_share": Decimal("0.5"),
    "m08_day_basis": 360,
}

MEASURE_AMOUNTS = ["m03_amount", "m08_amount", "m21_amount", "m22_amount"]

MONEY_FACTS = [name for name, decl in SYMBOLS.facts.items() if decl.type is Type.MONEY]


def base_facts(**overrides):
    """An enterprise that qualifies for nothing; tests switch on what they need (money in yuan)."""
    facts = {
        "in_recognised_park": False,
        "tenancy_year": 1,
        "annual_rent": Decimal(0),
        "m03_received": Decimal(0),
        "year": 2016,
        "included": False,
        "first_included_year": 2016,
        "m21_received": Decimal(0),
        "online_retail": Decimal(0),
        "online_retail_base": Decimal(0),
        "in_monitoring": False,
        "loan_principal": Decimal(0),
        "loan_start": dt.date(2015, 7, 1),
        "loan_end": dt.date(2015, 7, 1),
        "interest_paid": Decimal(0),
    }
    facts.update(overrides)
    return facts
