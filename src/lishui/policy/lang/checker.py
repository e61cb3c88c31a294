"""Name resolution and type checking.

The checker collects every error it can find (one bad name does not hide the next) and never lets
one error cascade: a sub-expression that failed has no type, and nothing above it complains again.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from .errors import LangError, LangNameError, LangTypeError, Span
from .nodes import Binary, Call, FactRef, FormulaRef, If, Literal, Node, ParamRef, Unary
from .symbols import ParamShape, SymbolTable, Type

MONEY, DECIMAL, INTEGER, BOOL, DATE = Type.MONEY, Type.DECIMAL, Type.INTEGER, Type.BOOL, Type.DATE

FUNCTIONS: dict[str, str] = {
    "min": "min(a, b, …)：最小值",
    "max": "max(a, b, …)：最大值",
    "floor": "floor(x)：向下取整",
    "ceil": "ceil(x)：向上取整",
    "round": "round(x, 位数)：四舍五入到指定小数位",
    "abs": "abs(x)：绝对值",
    "schedule": "schedule(param.时间表, 年度)：按年度取值，超出时间表为 0",
    "in_schedule": "in_schedule(param.时间表, 年度)：年度是否在时间表之内",
    "at": "at(param.参数, 日期)：取该日期有效的参数值",
    "year": "year(日期)：日期所在的年份",
}

OP_ZH = {
    "+": "加法 '+'",
    "-": "减法 '-'",
    "*": "乘法 '*'",
    "/": "除法 '/'",
    "==": "比较 '=='",
    "!=": "比较 '!='",
    "<": "比较 '<'",
    "<=": "比较 '<='",
    ">": "比较 '>'",
    ">=": "比较 '>='",
}


def did_you_mean(name: str, candidates: Iterable[str], prefix: str = "") -> str:
    candidates = sorted(candidates)
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if close:
        return f"是否是指 {prefix}{close[0]}？"
    if not candidates:
        return "这里没有声明任何可用的名称。"
    if len(candidates) <= 8:
        return "可用的有：" + "、".join(prefix + c for c in candidates) + "。"
    return ""


def numeric_join(a: Type, b: Type) -> Type | None:
    if a is b and a.is_numeric:
        return a
    if a.is_numeric and b.is_numeric:
        return DECIMAL
    return None


def literal_int(node: Node) -> int | None:
    """The value of an integer literal, possibly negated, else None."""
    if isinstance(node, Literal) and node.type is INTEGER:
        return int(node.value)  # type: ignore[arg-type]
    if isinstance(node, Unary) and node.op == "-":
        inner = literal_int(node.operand)
        return None if inner is None else -inner
    return None


class Checker:
    def __init__(self, symbols: SymbolTable, formula_types: Mapping[str, Type | None]) -> None:
        self.symbols = symbols
        self.formula_types = formula_types
        self.types: dict[int, Type] = {}
        self.errors: list[LangError] = []

    def error(self, message: str, span: Span, cls: type[LangError] = LangTypeError, code: str | None = None) -> None:
        self.errors.append(cls(message, span, code=code))

    def check(self, node: Node) -> Type | None:
        result = self._check(node)
        if result is not None:
            self.types[node.nid] = result
        return result

    def expect(self, node: Node, expected: Type, what: str) -> None:
        actual = self.check(node)
        if actual is None or actual is expected or (expected is DECIMAL and actual is INTEGER):
            return
        self.error(f"{what}必须是{expected.described}，这里得到的是{actual.described}", node.span,
                   code="wrong_result_type")

    # -- per node kind ---------------------------------------------------------------------------

    def _check(self, node: Node) -> Type | None:
        if isinstance(node, Literal):
            return node.type
        if isinstance(node, FactRef):
            decl = self.symbols.facts.get(node.name)
            if decl is None:
                self.error(
                    f"未知的事实 fact.{node.name}。" + did_you_mean(node.name, self.symbols.facts, "fact."),
                    node.span, LangNameError, "unknown_fact",
                )
                return None
            return decl.type
        if isinstance(node, ParamRef):
            return self.param(node, ParamShape.VALUE, None)
        if isinstance(node, FormulaRef):
            if node.name not in self.formula_types:
                if node.name in FUNCTIONS:
                    self.error(f"{node.name} 是函数，应写成 {FUNCTIONS[node.name]}", node.span, LangNameError,
                               "unknown_formula")
                    return None
                hint = did_you_mean(node.name, self.formula_types)
                self.error(
                    f"未知的名称 {node.name}：它不是已定义的公式（事实请写 fact.{node.name}，参数请写 "
                    f"param.{node.name}）。{hint}",
                    node.span, LangNameError, "unknown_formula",
                )
                return None
            return self.formula_types[node.name]
        if isinstance(node, Unary):
            operand = self.check(node.operand)
            if operand is None:
                return None
            if node.op == "not":
                if operand is not BOOL:
                    self.error(f"'not' 只能用于真假值（Bool），这里是{operand.described}", node.span)
                    return None
                return BOOL
            if operand is MONEY or operand.is_numeric:
                return operand
            self.error(f"负号 '-' 不能用于{operand.described}", node.span)
            return None
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, If):
            cond = self.check(node.cond)
            if cond is not None and cond is not BOOL:
                self.error(f"if 的条件必须是真假值（Bool），这里得到的是{cond.described}", node.cond.span,
                           code="condition_not_bool")
            then, else_ = self.check(node.then), self.check(node.else_)
            if then is None or else_ is None:
                return None
            joined = then if then is else_ else numeric_join(then, else_)
            if joined is None:
                self.error(
                    f"if 的两个分支类型不一致：then 分支是{then.described}，else 分支是{else_.described}。"
                    "两个分支必须是同一类型（例如都写成金额：0 元）",
                    node.else_.span,
                )
            return joined
        if isinstance(node, Call):
            return self.call(node)
        raise AssertionError(f"unknown node {node!r}")

    def binary(self, node: Binary) -> Type | None:
        op = node.op
        if op in ("and", "or"):
            left, right = self.check(node.left), self.check(node.right)
            for side, t, sub in (("左边", left, node.left), ("右边", right, node.right)):
                if t is not None and t is not BOOL:
                    self.error(f"'{op}' 的两边都必须是真假值（Bool），{side}是{t.described}", sub.span,
                               code="condition_not_bool")
            return BOOL
        left, right = self.check(node.left), self.check(node.right)
        if left is None or right is None:
            return None
        result = self.binary_type(op, left, right)
        if result is None:
            self.error(self.binary_message(op, left, right), node.op_span)
        return result

    @staticmethod
    def binary_type(op: str, a: Type, b: Type) -> Type | None:
        if op in ("+", "-"):
            if a is MONEY and b is MONEY:
                return MONEY
            if op == "-" and a is DATE and b is DATE:
                return INTEGER
            if a is DATE and b is INTEGER:
                return DATE
            if op == "+" and a is INTEGER and b is DATE:
                return DATE
            return numeric_join(a, b)
        if op == "*":
            if (a is MONEY and b.is_numeric) or (a.is_numeric and b is MONEY):
                return MONEY
            return numeric_join(a, b)
        if op == "/":
            if a is MONEY and b is MONEY:
                return DECIMAL
            if a is MONEY and b.is_numeric:
                return MONEY
            return DECIMAL if (a.is_numeric and b.is_numeric) else None
        # comparisons
        if a is b and a in (MONEY, DATE):
            return BOOL
        if a is BOOL and b is BOOL and op in ("==", "!="):
            return BOOL
        return BOOL if numeric_join(a, b) is not None else None

    @staticmethod
    def binary_message(op: str, a: Type, b: Type) -> str:
        sides = f"左边是{a.described}，右边是{b.described}"
        if op in ("+", "-") and MONEY in (a, b) and (a.is_numeric or b.is_numeric):
            return (f"金额不能与不带单位的数值做{OP_ZH[op]}：{sides}。"
                    "如果那个数值是金额，请写上单位，例如 5000 元")
        if op == "*" and a is MONEY and b is MONEY:
            return f"两个金额不能相乘：{sides}。比例请写成小数或百分数，例如 70%"
        if op == "/" and b is MONEY:
            return f"不能用{a.zh}除以金额：{sides}"
        if op in ("<", "<=", ">", ">=", "==", "!="):
            return f"不能比较{a.described}与{b.described}：比较的两边必须是同一类型"
        return f"不能对{a.zh}和{b.zh}做{OP_ZH[op]}：{sides}"

    def param(self, node: ParamRef, shape: ParamShape, func: str | None) -> Type | None:
        decl = self.symbols.params.get(node.name)
        if decl is None:
            self.error(
                f"未知的参数 param.{node.name}。" + did_you_mean(node.name, self.symbols.params, "param."),
                node.span, LangNameError, "unknown_param",
            )
            return None
        if shape is ParamShape.VALUE:
            if decl.shape is ParamShape.SCHEDULE:
                self.error(f"param.{node.name} 是按年度的时间表，必须写成 schedule(param.{node.name}, 年度)",
                           node.span, code="param_shape")
                return None
            return decl.type
        if decl.shape is not shape:
            need = "按年度的时间表参数" if shape is ParamShape.SCHEDULE else "按日期生效的参数"
            self.error(f"{func}(…) 的第一个参数必须是{need}，param.{node.name} 不是", node.span, code="param_shape")
            return None
        return decl.type

    def call(self, node: Call) -> Type | None:
        name, args = node.func, node.args
        if name not in FUNCTIONS:
            self.error(f"未知的函数 {name}。" + did_you_mean(name, FUNCTIONS), node.func_span, LangNameError,
                       "unknown_function")
            for arg in args:
                self.check(arg)
            return None

        def arity(n: int) -> bool:
            if len(args) != n:
                self.error(f"函数 {name} 需要 {n} 个参数，这里给了 {len(args)} 个。用法：{FUNCTIONS[name]}",
                           node.span, code="arity")
                for arg in args:
                    self.check(arg)
                return False
            return True

        if name in ("min", "max"):
            if len(args) < 2:
                self.error(f"函数 {name} 至少需要 2 个参数。用法：{FUNCTIONS[name]}", node.span, code="arity")
                return None
            types = [self.check(a) for a in args]
            if any(t is None for t in types):
                return None
            result: Type | None = types[0]
            for t, arg in zip(types[1:], args[1:], strict=True):
                assert result is not None and t is not None
                joined = t if t is result else numeric_join(result, t)
                if joined is None or joined is BOOL:
                    self.error(f"{name} 的参数必须是同一类型（都是金额、都是数值或都是日期）："
                               f"第一个是{types[0].described}，这一个是{t.described}", arg.span)  # type: ignore[union-attr]
                    return None
                result = joined
            return result
        if name in ("floor", "ceil", "abs"):
            if not arity(1):
                return None
            t = self.check(args[0])
            if t is None:
                return None
            if t is MONEY:
                return MONEY
            if t.is_numeric:
                return t if name == "abs" else INTEGER
            self.error(f"{name} 只能用于金额或数值，这里是{t.described}", args[0].span)
            return None
        if name == "round":
            if not arity(2):
                return None
            t = self.check(args[0])
            if literal_int(args[1]) is None:
                self.error("round 的第二个参数（保留的小数位数）必须直接写成整数，例如 round(x, 2)", args[1].span)
                return None
            self.types[args[1].nid] = INTEGER
            if t is None:
                return None
            if t is MONEY or t.is_numeric:
                return t
            self.error(f"round 只能用于金额或数值，这里是{t.described}", args[0].span)
            return None
        if name == "year":
            if not arity(1):
                return None
            t = self.check(args[0])
            if t is not None and t is not DATE:
                self.error(f"year 的参数必须是日期，这里是{t.described}", args[0].span)
                return None
            return INTEGER
        # schedule / in_schedule / at: the first argument names a parameter.
        if not arity(2):
            return None
        shape = ParamShape.DATED if name == "at" else ParamShape.SCHEDULE
        first = args[0]
        element: Type | None = None
        if not isinstance(first, ParamRef):
            self.check(first)
            self.error(f"{name}(…) 的第一个参数必须直接写参数名，例如 {FUNCTIONS[name].split('：')[0]}",
                       first.span, code="param_shape")
        else:
            element = self.param(first, shape, name)
            if element is not None:
                self.types[first.nid] = element
        if name == "at":
            self.expect(args[1], DATE, "at 的第二个参数（日期）")
            return element
        self.expect(args[1], INTEGER, f"{name} 的第二个参数（年度）")
        if element is not None and element not in (MONEY, DECIMAL, INTEGER):
            param_name = first.name if isinstance(first, ParamRef) else "?"
            self.error(f"时间表参数只能是金额或数值，param.{param_name} 是{element.described}", first.span,
                       code="param_shape")
            return None
        return BOOL if name == "in_schedule" else element
