"""The words the options take and the core uses: the phases, and the kinds of red.

Apart from the modules that use them, so that reading the options (in every pytest run
the plugin is installed in, most of them without a phase) imports nothing else.
"""

from __future__ import annotations

from typing import Literal

Phase = Literal["red", "green", "refactor"]
PHASES: tuple[Phase, ...] = ("red", "green", "refactor")

RedKind = Literal["assertion", "missing-api", "error"]
KINDS: tuple[RedKind, ...] = ("assertion", "missing-api", "error")  # strongest first
