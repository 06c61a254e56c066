"""pytest entry point (``-p no:tdd`` disables it)."""

from __future__ import annotations
