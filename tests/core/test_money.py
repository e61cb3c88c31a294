from decimal import Decimal

import pytest

from lishui.core.money import Money


def test_yuan_to_fen_rounds_half_up_once():
    assert Money.yuan("0.005").fen == 1
    assert Money.yuan("0.004").fen == 0
    assert Money.yuan("1,234.56").fen == 123456


def test_float_is_refused():
    with pytest.raises(TypeError):
        Money.yuan(0.1)  # type: ignore[arg-type]


def test_arithmetic_is_exact():
    total = sum((Money.yuan("0.10") for _ in range(10)), Money(0))
    assert total == Money.yuan("1.00")
    assert total.as_yuan == Decimal("1.00")
    assert Money(123456).format() == "¥1,234.56"


def test_garbage_is_refused():
    with pytest.raises(ValueError):
        Money.yuan("abc")
