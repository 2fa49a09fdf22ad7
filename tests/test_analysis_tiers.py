"""Tier and ladder-position arithmetic in SQL."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.analysis.tiers import rank_score_sql, tier_index_sql


@pytest.mark.parametrize(
    ("tier", "division", "lp", "index", "score"),
    [
        ("IRON", "IV", 0, 0, 0),
        ("IRON", "I", 99, 0, 399),
        ("SILVER", "II", 50, 2, 2 * 400 + 200 + 50),
        ("gold", "iv", 0, 3, 1200),  # case does not matter
        ("DIAMOND", "I", 75, 6, 6 * 400 + 300 + 75),
        ("MASTER", "I", 0, 7, 2800),
        ("GRANDMASTER", "I", 350, 8, 3150),  # apex tiers stack LP on one ladder
        ("CHALLENGER", "I", 1200, 9, 4000),
        ("UNRANKED", None, None, None, None),
    ],
)
def test_tier_index_and_rank_score(
    tier: str, division: str | None, lp: int | None, index: int | None, score: int | None
) -> None:
    """Each tier is 400 LP (100 per division, IV lowest); master and above share a ladder."""
    row = duckdb.sql(
        f"SELECT {tier_index_sql('t')}, {rank_score_sql('t', 'd', 'lp')} "
        f"FROM (SELECT ?::VARCHAR AS t, ?::VARCHAR AS d, ?::INTEGER AS lp)",
        params=[tier, division, lp],
    ).fetchone()
    assert row == (index, score)
