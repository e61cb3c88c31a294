"""Types of the rule language and the symbol table a caller supplies.

Five types. ``Integer`` is a subtype of ``Decimal``: an integer is accepted wherever a decimal is
expected, and mixing the two gives a decimal. Counts, years and day counts are ``Integer``; rates,
ratios and percentages are ``Decimal``. ``Money`` is yuan and never mixes with a bare number in
``+``/``-``/comparisons: ``rent * 70%`` is money, ``rent + 0.7`` is a type error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


class Type(Enum):
    MONEY = "Money"
    DECIMAL = "Decimal"
    INTEGER = "Integer"
    BOOL = "Bool"
    DATE = "Date"

    @property
    def zh(self) -> str:
        return _ZH[self]

    @property
    def described(self) -> str:
        """``金额（Money）`` — how messages name a type."""
        return f"{self.zh}（{self.value}）"

    @property
    def is_numeric(self) -> bool:
        return self in (Type.DECIMAL, Type.INTEGER)

    @classmethod
    def parse(cls, name: str) -> Type:
        for t in cls:
            if name in (t.value, t.value.lower(), t.zh):
                return t
        raise ValueError(f"未知的类型：{name}（可用：Money/Decimal/Integer/Bool/Date）")


_ZH = {
    Type.MONEY: "金额",
    Type.DECIMAL: "小数",
    Type.INTEGER: "整数",
    Type.BOOL: "真假值",
    Type.DATE: "日期",
}


class ParamShape(Enum):
    """How a parameter's value is looked up.

    VALUE: one value. DATED: values with effective dates; ``param.x`` is the value in force on the
    evaluation date, ``at(param.x, d)`` the value in force on ``d``. SCHEDULE: one value per year
    1, 2, 3, …, read with ``schedule(param.x, year)``.
    """

    VALUE = "value"
    DATED = "dated"
    SCHEDULE = "schedule"


@dataclass(frozen=True, slots=True)
class FactDecl:
    type: Type
    label: str | None = None


@dataclass(frozen=True, slots=True)
class ParamDecl:
    type: Type
    shape: ParamShape = ParamShape.VALUE
    label: str | None = None


@dataclass(frozen=True)
class SymbolTable:
    """The facts and parameters rule text may name, with their declared types.

    Values may be given as a bare ``Type`` for brevity; they are normalised to declarations.
    """

    facts: Mapping[str, FactDecl] = field(default_factory=dict)
    params: Mapping[str, ParamDecl] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "facts", {k: v if isinstance(v, FactDecl) else FactDecl(v) for k, v in self.facts.items()}
        )
        object.__setattr__(
            self, "params", {k: v if isinstance(v, ParamDecl) else ParamDecl(v) for k, v in self.params.items()}
        )
