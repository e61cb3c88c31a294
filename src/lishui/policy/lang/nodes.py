"""The syntax tree. Every node has a span (file, line, column) and a number ``nid`` unique in its tree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from .errors import Span
from .symbols import Type


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    nid: int
    span: Span

    @property
    def text(self) -> str:
        return " ".join(self.span.text.split())

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, slots=True, eq=False)
class Literal(Node):
    value: int | Fraction | dt.date | bool
    type: Type


@dataclass(frozen=True, slots=True, eq=False)
class FactRef(Node):
    name: str
    name_span: Span


@dataclass(frozen=True, slots=True, eq=False)
class ParamRef(Node):
    name: str
    name_span: Span


@dataclass(frozen=True, slots=True, eq=False)
class FormulaRef(Node):
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True, eq=False)
class Binary(Node):
    op: str  # + - * / == != < <= > >= and or
    left: Node
    right: Node
    op_span: Span

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True, eq=False)
class If(Node):
    cond: Node
    then: Node
    else_: Node

    def children(self) -> tuple[Node, ...]:
        return (self.cond, self.then, self.else_)


@dataclass(frozen=True, slots=True, eq=False)
class Call(Node):
    func: str
    func_span: Span
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True, slots=True, eq=False)
class Definition:
    """``name "标签" = expression`` in a rule file."""

    name: str
    label: str | None
    expr: Node
    name_span: Span


def walk(node: Node):
    """Every node of a tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))
