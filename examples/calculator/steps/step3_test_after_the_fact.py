from __future__ import annotations

import calculator


def test_subtract() -> None:
    assert calculator.subtract(3, 2) == 1


def test_add() -> None:
    assert calculator.add(1, 2) == 3


def test_add_negative() -> None:
    assert calculator.add(-1, -2) == -3
