from __future__ import annotations

import calculator


def test_subtract() -> None:
    assert calculator.subtract(3, 2) == 1
