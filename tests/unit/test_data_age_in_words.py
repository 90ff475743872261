"""Every score says how old its data is: ages in words."""

from __future__ import annotations

import pytest

from opsgraph.app import age_seconds, age_text

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5, "just now"), (61, "1 minute old"), (3 * 3600, "3 hours old"), (86400 * 2, "2 days old"), (86400 * 8, "1 week old"),
     (86400 * 335, "11 months old"), (86400 * 800, "2 years old"), (-3600, "in the future (clock skew?)")],
)
def test_ages_read_as_words(seconds: float, text: str) -> None:
    assert age_text(NOW - seconds, now=NOW) == text
    assert age_seconds(NOW - seconds, now=NOW) == seconds
