"""Type checker and name resolution: each kind of error, with its position and a plain message."""

import pytest

from lishui.policy.lang import (
    FactDecl,
    LangCycleError,
    LangErrors,
    LangNameError,
    LangTypeError,
    ParamDecl,
    ParamShape,
    SymbolTable,
    Type,
    check_program,
    compile_expression,
    compile_program,
)

SYMBOLS = SymbolTable(
    facts={
        "online_retail": FactDecl(Type.MONEY, "网络零售额"),
        "online_retail_base": Type.MONEY,
        "rent": Type.MONEY,
        "share": Type.DECIMAL,
        "tenancy_year": Type.INTEGER,
        "in_park": Type.BOOL,
        "loan_start": Type.DATE,
        "loan_end": Type.DATE,
    },
    params={
        "m03_rent_rates": ParamDecl(Type.DECIMAL, ParamShape.SCHEDULE),
        "m03_cap": Type.MONEY,
        "benchmark_rate": ParamDecl(Type.DECIMAL, ParamShape.DATED),
        "flags": ParamDecl(Type.BOOL, ParamShape.SCHEDULE),
        "min_vendors": Type.INTEGER,
    },
)


def type_of(text: str) -> Type:
    return compile_expression(text, SYMBOLS).type


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fact.rent * 70%", Type.MONEY),
        ("70% * fact.rent", Type.MONEY),
        ("fact.rent * 2", Type.MONEY),
        ("fact.rent / 2", Type.MONEY),
        ("fact.online_retail / fact.online_retail_base", Type.DECIMAL),
        ("fact.online_retail - fact.online_retail_base", Type.MONEY),
        ("1 + 2", Type.INTEGER),
        ("1 + 0.5", Type.DECIMAL),
        ("fact.share * fact.tenancy_year", Type.DECIMAL),
        ("7 / 2", Type.DECIMAL),
        ("floor(7 / 2)", Type.INTEGER),
        ("ceil(fact.share)", Type.INTEGER),
        ("floor(fact.rent)", Type.MONEY),
        ("round(fact.rent * 70%, 2)", Type.MONEY),
        ("round(fact.share, -1)", Type.DECIMAL),
        ("round(5, -1)", Type.INTEGER),
        ("abs(fact.rent)", Type.MONEY),
        ("fact.loan_end - fact.loan_start", Type.INTEGER),
        ("fact.loan_start + 30", Type.DATE),
        ("fact.loan_start - 30", Type.DATE),
        ("year(fact.loan_start)", Type.INTEGER),
        ("fact.loan_start < 2015-08-26", Type.BOOL),
        ("fact.share >= 70%", Type.BOOL),
        ("fact.tenancy_year <= 0.5", Type.BOOL),
        ("fact.in_park == true", Type.BOOL),
        ("schedule(param.m03_rent_rates, fact.tenancy_year)", Type.DECIMAL),
        ("in_schedule(param.m03_rent_rates, fact.tenancy_year)", Type.BOOL),
        ("at(param.benchmark_rate, fact.loan_start)", Type.DECIMAL),
        ("param.benchmark_rate", Type.DECIMAL),
        ("min(fact.rent, param.m03_cap, 50000 元)", Type.MONEY),
        ("max(1, 0.5)", Type.DECIMAL),
        ("min(fact.loan_start, fact.loan_end)", Type.DATE),
        ("if fact.in_park then 1 else 0.5", Type.DECIMAL),
        ("if fact.in_park then fact.rent else 0 元", Type.MONEY),
        ("-fact.rent", Type.MONEY),
    ],
)
def test_types_of_well_formed_expressions(text, expected):
    assert type_of(text) is expected


def type_error(text: str, cls=LangTypeError) -> LangTypeError:
    with pytest.raises(cls) as info:
        compile_expression(text, SYMBOLS, source="m.rules")
    return info.value


@pytest.mark.parametrize(
    ("text", "column", "phrase"),
    [
        ("fact.rent < fact.loan_start", 11, "不能比较金额（Money）与日期（Date）"),
        ("fact.rent + fact.in_park", 11, "不能对金额和真假值做加法"),
        ("fact.rent + 0.5", 11, "金额不能与不带单位的数值做加法"),
        ("fact.rent - 100", 11, "请写上单位"),
        ("fact.rent > 100", 11, "不能比较金额（Money）与整数（Integer）"),
        ("fact.rent * fact.rent", 11, "两个金额不能相乘"),
        ("2 / fact.rent", 3, "除以金额"),
        ("fact.loan_start + fact.loan_end", 17, "日期"),
        ("fact.in_park == 1", 14, "不能比较真假值（Bool）与整数（Integer）"),
        ("if fact.rent then 1 else 2", 4, "if 的条件必须是真假值（Bool），这里得到的是金额（Money）"),
        ("fact.in_park and fact.rent", 18, "'and' 的两边都必须是真假值"),
        ("not fact.share", 1, "'not' 只能用于真假值"),
        ("-fact.in_park", 1, "负号"),
        ("if fact.in_park then fact.rent else 0", 37, "then 分支是金额（Money），else 分支是整数（Integer）"),
        ("min(fact.rent, 5)", 16, "min 的参数必须是同一类型"),
        ("min(fact.rent)", 1, "至少需要 2 个参数"),
        ("floor(fact.in_park)", 7, "floor 只能用于金额或数值"),
        ("round(fact.rent, fact.tenancy_year)", 18, "必须直接写成整数"),
        ("round(fact.rent)", 1, "需要 2 个参数"),
        ("year(fact.rent)", 6, "year 的参数必须是日期"),
        ("param.m03_rent_rates", 1, "必须写成 schedule(param.m03_rent_rates, 年度)"),
        ("schedule(param.m03_cap, 1)", 10, "第一个参数必须是按年度的时间表参数"),
        ("schedule(fact.rent, 1)", 10, "必须直接写参数名"),
        ("schedule(param.m03_rent_rates, fact.share)", 32, "schedule 的第二个参数（年度）必须是整数"),
        ("schedule(param.flags, 1)", 10, "时间表参数只能是金额或数值"),
        ("at(param.m03_cap, fact.loan_start)", 4, "第一个参数必须是按日期生效的参数"),
        ("at(param.benchmark_rate, 2015)", 26, "at 的第二个参数（日期）必须是日期"),
    ],
)
def test_type_errors_name_the_types_and_position(text, column, phrase):
    error = type_error(text)
    assert phrase in error.message
    assert (error.file, error.line, error.column) == ("m.rules", 1, column)


def test_unknown_fact_suggests_the_close_name():
    error = type_error("fact.onlne_retail * 2", LangNameError)
    assert error.code == "unknown_fact"
    assert error.message == "未知的事实 fact.onlne_retail。是否是指 fact.online_retail？"
    assert (error.line, error.column) == (1, 1)


def test_unknown_param_function_and_formula():
    assert type_error("param.m03_capp", LangNameError).message.endswith("是否是指 param.m03_cap？")
    fn = type_error("mim(1, 2)", LangNameError)
    assert fn.code == "unknown_function" and "是否是指 min？" in fn.message
    bare = type_error("online_retail", LangNameError)
    assert bare.code == "unknown_formula" and "fact.online_retail" in bare.message
    as_name = type_error("min", LangNameError)
    assert "是函数" in as_name.message


def test_unknown_name_without_a_close_match_lists_what_exists():
    small = SymbolTable(facts={"a": Type.MONEY, "b": Type.MONEY})
    with pytest.raises(LangNameError) as info:
        compile_expression("fact.zzz", small)
    assert "可用的有：fact.a、fact.b" in info.value.message


def test_expected_type_of_a_condition():
    with pytest.raises(LangTypeError) as info:
        compile_expression("fact.rent * 70%", SYMBOLS, expected=Type.BOOL)
    assert info.value.message == "条件必须是真假值（Bool），这里得到的是金额（Money）"
    assert compile_expression("fact.in_park", SYMBOLS, expected=Type.BOOL).type is Type.BOOL
    assert compile_expression("1", SYMBOLS, expected=Type.DECIMAL).type is Type.INTEGER


def test_all_errors_are_collected_in_source_order_without_cascades():
    text = "a = fact.rnt + 1 元\nb = fact.rent < fact.loan_start\nc = (fact.rent + true) * 2 + a"
    errors = check_program(text, SYMBOLS, source="m.rules")
    assert [(e.code, e.line) for e in errors] == [("unknown_fact", 1), ("type_mismatch", 2), ("type_mismatch", 3)]
    with pytest.raises(LangErrors) as info:
        compile_program(text, SYMBOLS, source="m.rules")
    assert len(info.value.errors) == 3
    assert str(info.value).count("m.rules:") == 3
    assert info.value.as_dict()["errors"][0]["line"] == 1


def test_direct_and_indirect_cycles_are_reported_at_the_closing_reference():
    with pytest.raises(LangCycleError) as info:
        compile_program("a = b + 1\nb = c * 2\nc = a - 1\nd = 5", SYMBOLS, source="m.rules")
    error = info.value
    assert "a → b → c → a" in error.message
    assert (error.line, error.column) == (3, 5)
    with pytest.raises(LangCycleError, match="x → x"):
        compile_program("x = x + 1", SYMBOLS)


def test_formula_depending_on_a_cycle_gets_no_second_error():
    errors = check_program("a = b\nb = a\nc = a + 1", SYMBOLS)
    assert [e.code for e in errors] == ["cycle"]


def test_duplicate_definition():
    errors = check_program("a = 1\nb = 2\na = 3", SYMBOLS)
    assert [(e.code, e.line) for e in errors] == [("duplicate_definition", 3)]
    assert "第一次定义在第 1 行" in errors[0].message


def test_formula_types_flow_through_references_in_any_order():
    program = compile_program(
        "amount = min(fact.rent * rate, param.m03_cap)\nrate = schedule(param.m03_rent_rates, fact.tenancy_year)",
        SYMBOLS,
    )
    assert program.type_of("amount") is Type.MONEY
    assert program.type_of("rate") is Type.DECIMAL
    assert list(program.formulas) == ["rate", "amount"]
    assert program.formulas["amount"].depends_on == ("rate",)
    assert program.expression("amount > 0 元", expected=Type.BOOL).type is Type.BOOL
    with pytest.raises(LangTypeError, match="不能比较金额"):
        program.expression("amount > rate")


def test_syntax_error_is_returned_by_check_program():
    errors = check_program("a = (1 + ", SYMBOLS, source="m.rules")
    assert len(errors) == 1 and errors[0].code == "syntax"
