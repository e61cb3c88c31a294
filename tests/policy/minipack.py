"""A small pack built in code, for engine tests that must not depend on the shipped pack's loader."""

import datetime as dt
from decimal import Decimal

from lishui.policy.lang import FactDecl, ParamDecl, ParamShape, SymbolTable, Type, compile_program
from lishui.policy.pack.model import (
    Cap,
    Clause,
    Condition,
    External,
    Funding,
    Measure,
    Pack,
    Parameter,
    ParameterVersion,
)

SYMBOLS = SymbolTable(
    facts={
        "in_recognised_park": FactDecl(Type.BOOL, "入驻认定的电子商务园区"),
        "tenancy_year": FactDecl(Type.INTEGER, "入驻年度"),
        "annual_rent": FactDecl(Type.MONEY, "本年度房租"),
        "included": FactDecl(Type.BOOL, "已纳入统计"),
        "first_included_year": FactDecl(Type.INTEGER, "首次纳统年度"),
        "year": FactDecl(Type.INTEGER, "年度"),
        "online_retail": FactDecl(Type.MONEY, "网络零售额"),
        "online_retail_base": FactDecl(Type.MONEY, "上年网络零售额"),
        "center_level": FactDecl(Type.INTEGER, "中心级别（1 市级，2 县级）"),
        "center_accepted": FactDecl(Type.BOOL, "中心已验收"),
        "import_value": FactDecl(Type.MONEY, "进口额"),
    },
    params={
        "m03_rates": ParamDecl(Type.DECIMAL, ParamShape.SCHEDULE, "房租补助比例"),
        "m03_cap": ParamDecl(Type.MONEY, label="房租补助累计上限"),
        "m22_step": ParamDecl(Type.MONEY, label="档位"),
        "m22_award": ParamDecl(Type.MONEY, label="每档奖励"),
        "m22_cap": ParamDecl(Type.MONEY, label="年度上限"),
        "m01_city": ParamDecl(Type.MONEY, label="市级中心资助"),
        "m01_county": ParamDecl(Type.MONEY, label="县级中心资助"),
        "m14_rate": ParamDecl(Type.DECIMAL, label="外贸政策奖励比例"),
    },
)

RULES = """
m03_rate "房租补助比例" = schedule(param.m03_rates, fact.tenancy_year)
m22_steps "满档数" = floor((fact.online_retail - fact.online_retail_base) / param.m22_step)
"""
PROGRAM = compile_program(RULES, SYMBOLS, source="mini.rules")


def cond(name, label, text, hint=""):
    return Condition(name, label, PROGRAM.expression(text, expected=Type.BOOL), text, hint)


def param(name, type_, value, shape=ParamShape.VALUE, clause="二(二)4", unset=False):
    return Parameter(name, type_, shape, name, "元", clause, (ParameterVersion(None, value),), unset=unset)


MEASURES = {
    "M03": Measure(
        "M03", "园区企业房租补助", ("二(二)4",), "园区内电子商务企业", ("enterprise",),
        ("in_recognised_park", "tenancy_year", "annual_rent"),
        (cond("in_park", "入驻认定的电子商务园区", "fact.in_recognised_park", "需入驻经认定的电子商务园区"),
         cond("in_years", "入驻第1至3年", "in_schedule(param.m03_rates, fact.tenancy_year)", "入驻三年内")),
        PROGRAM.expression("fact.annual_rent × m03_rate", expected=Type.MONEY),
        caps=(Cap("lifetime", "m03_cap", "每家企业累计不超过5万元"),), recurrence="yearly"),
    "M22": Measure(
        "M22", "网络零售增长奖励", ("二(七)",), "已纳统的网络零售企业", ("enterprise",),
        ("included", "first_included_year", "year", "online_retail", "online_retail_base"),
        (cond("included", "网络零售额已纳入统计", "fact.included", "需纳入统计"),
         cond("not_first", "非首次纳统年度", "fact.first_included_year < fact.year", "首次纳统当年不享受"),
         cond("growth", "增长满500万元", "m22_steps >= 1", "网络零售额需比上年增长至少500万元")),
        PROGRAM.expression("m22_steps × param.m22_award", expected=Type.MONEY),
        caps=(Cap("per_year", "m22_cap", "每家企业每年不超过5万元"),), recurrence="yearly"),
    "M01": Measure(
        "M01", "公共服务中心建设资助", ("二(二)2",), "公共服务中心运营单位", ("service_center",),
        ("center_level", "center_accepted"),
        (cond("accepted", "中心已建成并验收", "fact.center_accepted", "需通过验收"),),
        PROGRAM.expression("if fact.center_level == 1 then param.m01_city else param.m01_county",
                           expected=Type.MONEY),
        funding=Funding(includes_provincial=True), all_counties=True),
    "M14": Measure(
        "M14", "保税进口网络分销奖励", ("二(三)4",), "保税进口企业", ("enterprise",), ("import_value",), (),
        PROGRAM.expression("fact.import_value × param.m14_rate", expected=Type.MONEY),
        external=External("丽水市对外贸易促进政策", "m14_rate")),
}

PACK = Pack(
    id="mini", version="1", title="测试政策", issuer="测试", document_date=dt.date(2015, 7, 29),
    valid_from=dt.date(2015, 7, 29), valid_to=dt.date(2020, 7, 28), jurisdictions=("331100", "331102", "331199"),
    scope_note="本意见适用于市区",
    clauses={c: Clause(c, f"条款{c}原文") for c in ("二(二)4", "二(七)", "二(二)2", "二(三)4")},
    parameters={p.name: p for p in [
        Parameter("m03_rates", Type.DECIMAL, ParamShape.SCHEDULE, "房租补助比例", "", "二(二)4",
                  (ParameterVersion(None, (Decimal("0.7"), Decimal("0.5"), Decimal("0.3"))),)),
        param("m03_cap", Type.MONEY, Decimal("50000")),
        param("m22_step", Type.MONEY, Decimal("5000000"), clause="二(七)"),
        param("m22_award", Type.MONEY, Decimal("10000"), clause="二(七)"),
        param("m22_cap", Type.MONEY, Decimal("50000"), clause="二(七)"),
        param("m01_city", Type.MONEY, Decimal("500000"), clause="二(二)2"),
        param("m01_county", Type.MONEY, Decimal("300000"), clause="二(二)2"),
        param("m14_rate", Type.DECIMAL, Decimal("0"), clause="二(三)4", unset=True),
    ]},
    measures=MEASURES, symbols=SYMBOLS, program=PROGRAM,
)
