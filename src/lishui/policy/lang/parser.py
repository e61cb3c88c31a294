"""Pratt parser: tokens to a syntax tree with source positions.

Precedence, loosest first::

    if c then a else b      (the else-branch reaches as far right as possible)
    or
    and
    not
    ==  !=  <  <=  >  >=    (not chainable: write a <= x and x < b)
    +  -
    *  /
    unary -
    literals, fact.x, param.x, formula names, f(...), ( ... )
"""

from __future__ import annotations

import dataclasses
import itertools

from .errors import LangSyntaxError, Source, Span
from .lexer import Tok, Token, tokenize
from .nodes import Binary, Call, Definition, FactRef, FormulaRef, If, Literal, Node, ParamRef, Unary
from .symbols import Type

COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})

# operator -> (left binding power, right binding power)
INFIX = {
    "or": (10, 11),
    "and": (20, 21),
    "==": (30, 31),
    "!=": (30, 31),
    "<": (30, 31),
    "<=": (30, 31),
    ">": (30, 31),
    ">=": (30, 31),
    "+": (40, 41),
    "-": (40, 41),
    "*": (50, 51),
    "/": (50, 51),
}
NOT_BP = 25
NEG_BP = 60

NAMESPACES = {"fact": "事实", "param": "参数"}

# Node numbers are unique across every tree parsed in this process, so type tables and traces of a
# program and of expressions compiled against it never collide.
_NODE_IDS = itertools.count(1)
RESERVED_NAMES = frozenset(NAMESPACES)


class Parser:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.pos = 0

    # -- token helpers ---------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind is not Tok.EOF:
            self.pos += 1
        return tok

    def expect(self, kind: Tok, text: str | None, what: str) -> Token:
        tok = self.peek()
        if tok.kind is kind and (text is None or tok.text == text):
            return self.advance()
        raise LangSyntaxError(f"此处应为{what}，却遇到了{tok.describe()}", tok.span)

    def nid(self) -> int:
        return next(_NODE_IDS)

    def span_from(self, start: Span) -> Span:
        prev = self.tokens[self.pos - 1]
        return Span(self.source, start.start, prev.span.end)

    @staticmethod
    def infix_key(tok: Token) -> str | None:
        if tok.kind is Tok.OP or (tok.kind is Tok.KEYWORD and tok.text in ("and", "or")):
            return tok.text
        return None

    # -- entry points ----------------------------------------------------------------------------

    def parse_expression(self) -> Node:
        node = self.expression(0)
        tok = self.peek()
        if tok.kind is not Tok.EOF:
            raise self.trailing(tok)
        return node

    def parse_program(self) -> list[Definition]:
        definitions: list[Definition] = []
        while self.peek().kind is not Tok.EOF:
            definitions.append(self.definition())
        return definitions

    def definition(self) -> Definition:
        name_tok = self.peek()
        if name_tok.kind is not Tok.IDENT:
            raise LangSyntaxError(
                f"此处应为公式定义（名称 = 表达式），却遇到了{name_tok.describe()}", name_tok.span
            )
        self.advance()
        if name_tok.text in RESERVED_NAMES:
            raise LangSyntaxError(f"'{name_tok.text}' 是保留字，不能用作公式名称", name_tok.span)
        label = None
        if self.peek().kind is Tok.STRING:
            label = str(self.advance().value)
        self.expect(Tok.ASSIGN, "=", f"公式 {name_tok.text} 的等号 '='")
        expr = self.expression(0)
        nxt = self.peek()
        if nxt.kind is not Tok.EOF and not self.starts_definition():
            raise self.trailing(nxt)
        return Definition(name_tok.text, label, expr, name_tok.span)

    def starts_definition(self) -> bool:
        first, second = self.peek(), self.peek(1)
        if first.kind is not Tok.IDENT:
            return False
        return second.kind is Tok.ASSIGN or (second.kind is Tok.STRING and self.peek(2).kind is Tok.ASSIGN)

    def trailing(self, tok: Token) -> LangSyntaxError:
        if tok.kind is Tok.ASSIGN:
            return LangSyntaxError("单个等号 '=' 只用于定义公式；比较是否相等请写 '=='", tok.span)
        if tok.kind is Tok.RPAREN:
            return LangSyntaxError("多余的右括号 ')'", tok.span)
        return LangSyntaxError(f"表达式在此之前已经结束，多出了{tok.describe()}：是否漏写了运算符？", tok.span)

    # -- expressions -----------------------------------------------------------------------------

    def expression(self, min_bp: int) -> Node:
        left = self.prefix()
        last_comparison: Token | None = None
        while True:
            tok = self.peek()
            key = self.infix_key(tok)
            if key is None or key not in INFIX:
                break
            lbp, rbp = INFIX[key]
            if lbp < min_bp:
                break
            if key in COMPARISONS and last_comparison is not None:
                raise LangSyntaxError(
                    f"比较运算不能连写（{last_comparison.span.text} … {tok.span.text}）：请用 and 连接，"
                    "例如 a <= x and x < b",
                    tok.span,
                )
            self.advance()
            right = self.expression(rbp)
            left = Binary(self.nid(), left.span.to(right.span), key, left, right, tok.span)
            last_comparison = tok if key in COMPARISONS else None
        return left

    def prefix(self) -> Node:
        tok = self.peek()
        if tok.kind is Tok.NUMBER or tok.kind is Tok.DATE:
            self.advance()
            assert tok.literal_type is not None
            return Literal(self.nid(), tok.span, tok.value, tok.literal_type)  # type: ignore[arg-type]
        if tok.kind is Tok.KEYWORD:
            if tok.text in ("true", "false"):
                self.advance()
                return Literal(self.nid(), tok.span, tok.text == "true", Type.BOOL)
            if tok.text == "not":
                self.advance()
                operand = self.expression(NOT_BP)
                return Unary(self.nid(), tok.span.to(operand.span), "not", operand)
            if tok.text == "if":
                return self.conditional()
            raise LangSyntaxError(f"此处应为一个值或表达式，却遇到了关键字 '{tok.text}'", tok.span)
        if tok.kind is Tok.OP and tok.text == "-":
            self.advance()
            operand = self.expression(NEG_BP)
            return Unary(self.nid(), tok.span.to(operand.span), "-", operand)
        if tok.kind is Tok.LPAREN:
            self.advance()
            inner = self.expression(0)
            close = self.peek()
            if close.kind is not Tok.RPAREN:
                raise LangSyntaxError(
                    f"缺少右括号 ')'（左括号在第 {tok.span.line} 行第 {tok.span.column} 列），"
                    f"却遇到了{close.describe()}",
                    close.span,
                )
            self.advance()
            # The node keeps its number but its span takes in the parentheses, so a parent's text and
            # the trace show "(a - b)" whole.
            return dataclasses.replace(inner, span=tok.span.to(close.span))
        if tok.kind is Tok.IDENT:
            return self.name()
        if tok.kind is Tok.EOF:
            raise LangSyntaxError("表达式不完整：结尾处还缺少一个值", tok.span)
        raise LangSyntaxError(f"此处应为一个值或表达式，却遇到了{tok.describe()}", tok.span)

    def conditional(self) -> Node:
        start = self.advance()  # if
        cond = self.expression(0)
        self.expect(Tok.KEYWORD, "then", "关键字 'then'（写法：if 条件 then 值 else 值）")
        then = self.expression(0)
        self.expect(Tok.KEYWORD, "else", "关键字 'else'（if … then … 必须有 else 分支）")
        else_ = self.expression(0)
        return If(self.nid(), start.span.to(else_.span), cond, then, else_)

    def name(self) -> Node:
        tok = self.advance()
        if tok.text in NAMESPACES:
            what = NAMESPACES[tok.text]
            example = "fact.online_retail" if tok.text == "fact" else "param.m03_rent_rates"
            if self.peek().kind is not Tok.DOT:
                raise LangSyntaxError(f"'{tok.text}' 后面应接 '.' 和{what}名称，例如 {example}", self.peek().span)
            self.advance()
            name_tok = self.peek()
            if name_tok.kind not in (Tok.IDENT, Tok.KEYWORD):
                raise LangSyntaxError(f"'{tok.text}.' 后面应为{what}名称，例如 {example}", name_tok.span)
            self.advance()
            span = tok.span.to(name_tok.span)
            cls = FactRef if tok.text == "fact" else ParamRef
            return cls(self.nid(), span, name_tok.text, name_tok.span)
        if self.peek().kind is Tok.LPAREN:
            self.advance()
            args: list[Node] = []
            if self.peek().kind is not Tok.RPAREN:
                while True:
                    args.append(self.expression(0))
                    if self.peek().kind is Tok.COMMA:
                        self.advance()
                        continue
                    break
            close = self.peek()
            if close.kind is not Tok.RPAREN:
                raise LangSyntaxError(
                    f"函数 {tok.text}(…) 的参数之间应以 ',' 分隔并以 ')' 结束，却遇到了{close.describe()}",
                    close.span,
                )
            self.advance()
            return Call(self.nid(), tok.span.to(close.span), tok.text, tok.span, tuple(args))
        return FormulaRef(self.nid(), tok.span, tok.text)


def parse_expression(text: str, source: str = "<表达式>", *, line: int = 1, column: int = 1) -> Node:
    """Parse one expression. ``line``/``column`` place it inside a larger file (e.g. a YAML pack)."""
    return Parser(Source(source, text, line, column)).parse_expression()


def parse_program(text: str, source: str = "<规则>", *, line: int = 1, column: int = 1) -> list[Definition]:
    """Parse a rule file: a sequence of ``name ["标签"] = expression`` definitions."""
    return Parser(Source(source, text, line, column)).parse_program()
