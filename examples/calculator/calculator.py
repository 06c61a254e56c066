"""A calculator that so far can only subtract."""

from __future__ import annotations


def subtract(a: int, b: int) -> int:
    return a - b
