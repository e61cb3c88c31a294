"""Tokenizer and parser: literals, precedence, spans, and syntax errors with positions."""

import datetime as dt
from fractions import Fraction

import pytest

from lishui.policy.lang import LangSyntaxError, Type, parse_expression, parse_program
from lishui.policy.lang.nodes import Binary, Call, FactRef, FormulaRef, If, Literal, Node, ParamRef, Unary


def show(node: Node) -> str:
    """Fully parenthesised form, to make precedence visible."""
    if isinstance(node, Literal):
        return node.span.text
    if isinstance(node, FactRef):
        return f"fact.{node.name}"
    if isinstance(node, ParamRef):
        return f"param.{node.name}"
    if isinstance(node, FormulaRef):
        return node.name
    if isinstance(node, Unary):
        return f"({node.op} {show(node.operand)})"
    if isinstance(node, Binary):
        return f"({show(node.left)} {node.op} {show(node.right)})"
    if isinstance(node, If):
        return f"(if {show(node.cond)} then {show(node.then)} else {show(node.else_)})"
    if isinstance(node, Call):
        return f"{node.func}(" + ", ".join(show(a) for a in node.args) + ")"
    raise AssertionError(node)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("1 - 2 - 3", "((1 - 2) - 3)"),
        ("8 / 4 / 2", "((8 / 4) / 2)"),
        ("-a * b", "((- a) * b)"),
        ("- - a", "(- (- a))"),
        ("(1 + 2) * 3", "((1 + 2) * 3)"),
        ("a + b > c * d", "((a + b) > (c * d))"),
        ("a or b and c", "(a or (b and c))"),
        ("not a and b", "((not a) and b)"),
        ("not a == b", "(not (a == b))"),
        ("a and not b or c", "((a and (not b)) or c)"),
        ("if a then 1 else 2 + 3", "(if a then 1 else (2 + 3))"),
        ("1 + if a then 2 else 3", "(1 + (if a then 2 else 3))"),
        ("if a then if b then 1 else 2 else 3", "(if a then (if b then 1 else 2) else 3)"),
        ("min(a, b + 1, max(c, d))", "min(a, (b + 1), max(c, d))"),
        ("fact.x × 70% ÷ 2", "((fact.x * 70%) / 2)"),
        ("a ≥ b", "(a >= b)"),
        ("schedule(param.rates, fact.tenancy_year)", "schedule(param.rates, fact.tenancy_year)"),
    ],
)
def test_precedence(text, expected):
    assert show(parse_expression(text)) == expected


@pytest.mark.parametrize(
    ("text", "value", "type_"),
    [
        ("50000 元", Fraction(50000), Type.MONEY),
        ("50000元", Fraction(50000), Type.MONEY),
        ("5万元", Fraction(50000), Type.MONEY),
        ("1.5 万元", Fraction(15000), Type.MONEY),
        ("200亿元", Fraction(20_000_000_000), Type.MONEY),
        ("5_000_000 元", Fraction(5_000_000), Type.MONEY),
        ("0.01 元", Fraction(1, 100), Type.MONEY),
        ("70%", Fraction(7, 10), Type.DECIMAL),
        ("4.35%", Fraction(435, 10000), Type.DECIMAL),
        ("0.125", Fraction(1, 8), Type.DECIMAL),
        ("360", 360, Type.INTEGER),
        ("2015-07-29", dt.date(2015, 7, 29), Type.DATE),
        ("true", True, Type.BOOL),
        ("false", False, Type.BOOL),
    ],
)
def test_literals_are_exact(text, value, type_):
    node = parse_expression(text)
    assert isinstance(node, Literal)
    assert node.value == value and type(node.value) is type(value)
    assert node.type is type_


def test_date_literal_is_not_subtraction_but_short_numbers_are():
    assert isinstance(parse_expression("2015-07-29"), Literal)
    assert show(parse_expression("2015-7-29")) == "((2015 - 7) - 29)"
    assert show(parse_expression("2015 - 07 - 29")) == "((2015 - 07) - 29)"


def test_spans_cover_the_source_text_including_parentheses():
    node = parse_expression("fact.a * (fact.b - 1)")
    assert isinstance(node, Binary)
    assert node.right.span.text == "(fact.b - 1)"
    assert node.span.text == "fact.a * (fact.b - 1)"
    assert node.op_span.column == 8


def test_program_definitions_with_labels_across_lines():
    defs = parse_program(
        """
        # rent subsidy
        rate "补助比例" = schedule(param.rates,
                                  fact.year)
        amount = fact.rent
                 * rate
        """
    )
    assert [d.name for d in defs] == ["rate", "amount"]
    assert defs[0].label == "补助比例"
    assert defs[1].label is None
    assert defs[1].name_span.line == 5 and defs[1].name_span.column == 9
    assert show(defs[1].expr) == "(fact.rent * rate)"


def syntax_error(text: str, **kw) -> LangSyntaxError:
    with pytest.raises(LangSyntaxError) as info:
        parse_expression(text, "pack.yaml", **kw)
    return info.value


@pytest.mark.parametrize(
    ("text", "column", "phrase"),
    [
        ("1 +", 4, "表达式不完整"),
        ("(1 + 2", 7, "缺少右括号"),
        ("1 + 2)", 6, "多余的右括号"),
        ("a < b < c", 7, "比较运算不能连写"),
        ("fact.", 6, "事实名称"),
        ("fact online", 6, "'.'"),
        ("min(1, 2", 9, "')'"),
        ("1 2", 3, "漏写了运算符"),
        ("a = 1", 3, "'=='"),
        ("if a 1 else 2", 6, "'then'"),
        ("if a then 1", 12, "'else'"),
        ("2015-02-30", 1, "日期 2015-02-30 不存在"),
        ("0.001 元", 1, "分的精度"),
        ("a （b）", 3, "全角"),
        ("a，b", 2, "全角"),
        ("12abc", 1, "不能以数字开头"),
        ("5 + 元", 5, "金额单位"),
        ("% 5", 1, "百分号"),
        ("a @ b", 3, "无法识别的字符 '@'"),
        ("1__000", 2, "'_'"),
        ('"标签', 1, "双引号"),
        ("max(1,000, 2)", 5, "用逗号分隔千位"),
        ("5,000,000 元", 1, "请写成 5_000_000 或 5000000"),
    ],
)
def test_syntax_errors_point_at_the_problem(text, column, phrase):
    error = syntax_error(text)
    assert error.file == "pack.yaml"
    assert error.line == 1
    assert error.column == column
    assert phrase in error.message
    assert str(error).startswith(f"pack.yaml:1:{column}: 语法错误：")


def test_error_position_on_a_later_line_and_caret_excerpt():
    error = syntax_error("fact.a\n  + * 3")
    assert (error.line, error.column) == (2, 5)
    assert error.excerpt() == "  + * 3\n    ^"


def test_two_arguments_with_a_space_are_not_a_thousands_separator():
    assert show(parse_expression("max(0, 100)")) == "max(0, 100)"
    assert show(parse_expression("max(0,10)")) == "max(0, 10)"


def test_caret_is_aligned_under_chinese_text():
    error = syntax_error("50元 + 元")
    assert error.excerpt() == "50元 + 元\n       ^^"


def test_embedded_expression_reports_positions_in_the_enclosing_file():
    # An expression that starts at line 40, column 16 of a YAML pack.
    error = syntax_error("fact.a +\n  (1", line=40, column=16)
    assert (error.line, error.column) == (41, 5)
    first_line = syntax_error("fact.a + )", line=40, column=16)
    assert (first_line.line, first_line.column) == (40, 25)


def test_program_syntax_errors():
    with pytest.raises(LangSyntaxError, match="公式 a 的等号"):
        parse_program("a 1 + 2")
    with pytest.raises(LangSyntaxError, match="保留字"):
        parse_program("fact = 1")
    with pytest.raises(LangSyntaxError, match="公式定义"):
        parse_program("1 + 2")
    with pytest.raises(LangSyntaxError) as info:
        parse_program("a = 1\nb = 2 c")
    assert (info.value.line, info.value.column) == (2, 7)
