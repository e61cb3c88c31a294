"""Exact money: integer fen in storage, Decimal yuan in code, rounded half-up once at the end."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator

FEN = Decimal("0.01")


@dataclass(frozen=True, order=True, slots=True)
class Money:
    fen: int

    def __post_init__(self) -> None:
        if not isinstance(self.fen, int) or isinstance(self.fen, bool):
            raise TypeError("Money holds integer fen")

    @classmethod
    def yuan(cls, value: Decimal | int | str) -> Money:
        """From yuan; a value with more than two decimals is rounded half-up."""
        if isinstance(value, float):
            raise TypeError("money never comes from float")
        try:
            amount = Decimal(str(value).replace(",", "").strip())
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {value!r}") from exc
        if not amount.is_finite():
            raise ValueError(f"not an amount: {value!r}")
        return cls(int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)))

    @property
    def as_yuan(self) -> Decimal:
        return (Decimal(self.fen) / 100).quantize(FEN)

    def __add__(self, other: Money) -> Money:
        return Money(self.fen + other.fen)

    def __sub__(self, other: Money) -> Money:
        return Money(self.fen - other.fen)

    def __neg__(self) -> Money:
        return Money(-self.fen)

    def __str__(self) -> str:
        return f"{self.as_yuan:,.2f}"

    def format(self) -> str:
        return f"¥{self}"


ZERO = Money(0)


class MoneyType(TypeDecorator[Money]):
    """A column of integer fen that reads and writes Money."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, Money):
            return value.fen
        raise TypeError("MoneyType columns take Money values")

    def process_result_value(self, value: Any, dialect: Any) -> Money | None:
        return None if value is None else Money(int(value))
