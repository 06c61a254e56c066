from __future__ import annotations

import pytest


@pytest.fixture
def tdd(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester whose runs have deterministic output."""
    pytester.makeini(
        """
        [pytest]
        console_output_style = classic
        """
    )
    return pytester
