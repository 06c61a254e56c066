"""A calculator that can subtract and add."""

from __future__ import annotations


def subtract(a: int, b: int) -> int:
    return a - b


def add(a: int, b: int) -> int:
    return a + b
