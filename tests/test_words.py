"""The words every message uses for a count or a bound."""

from __future__ import annotations

import pytest

from pipeline.words import counted, number


@pytest.mark.parametrize(
    ("n", "written"),
    [
        (0, "0 matches"),
        (1, "1 match"),
        (2, "2 matches"),
        (1135, "1,135 matches"),
        (6_221_810, "6,221,810 matches"),
    ],
)
def test_a_count_agrees_with_its_words_and_has_thousands_separators(n: int, written: str) -> None:
    assert counted(n, "match", "matches") == written


@pytest.mark.parametrize(
    ("value", "written"),
    [(1_000_000, "1,000,000"), (1e6, "1,000,000"), (0.05, "0.05"), (1234.5, "1,234.5")],
)
def test_a_bound_is_written_in_full(value: float, written: str) -> None:
    assert number(value) == written
