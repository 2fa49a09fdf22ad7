"""Storing scores in ``smurf_scores`` (which players need one: ``upkeep``).

History is kept: every scoring appends one row per player; the view
``latest_smurf_scores`` shows the newest. Contributions and features go into JSON columns
(built by DuckDB in one INSERT ... SELECT, not row by row).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from pipeline.analysis.params import MODEL_VERSION
from pipeline.analysis.scoring import contribution_columns, feature_columns
from pipeline.store.lake_schema import new_ids_sql


def _json_value(column: str, dtype: Any) -> str:
    # NaN and infinities are not JSON; store them as null.
    if pd.api.types.is_float_dtype(dtype):
        return f'(CASE WHEN isfinite("{column}") THEN "{column}" END)'
    return f'"{column}"'


def _json_object(scores: pd.DataFrame, columns: list[str], strip: str = "") -> str:
    pairs = ", ".join(
        f"'{c.removeprefix(strip)}', {_json_value(c, scores[c].dtype)}" for c in columns
    )
    return f"json_object({pairs})"


def _contributions_json(scores: pd.DataFrame) -> str:
    per_target = ", ".join(
        f"'{t}', {_json_object(scores, contribution_columns(scores, t), f'contrib_{t}_')}"
        for t in ("smurf", "boosted")
    )
    return f"json_object({per_target})"


def write_scores(con: duckdb.DuckDBPyConnection, scores: pd.DataFrame, scored_at: datetime) -> int:
    """Append one ``smurf_scores`` row per player of ``scores``; returns the rows written."""
    if scores.empty:
        return 0
    view = f"scores_{uuid.uuid4().hex}"
    con.register(view, scores)
    try:
        con.execute(
            f"""INSERT INTO smurf_scores (id, puuid, scored_at, model_version, smurf_score,
                boosted_score, label, confidence, reason, games_analyzed, matches_stored, tier,
                contributions, features)
            SELECT {new_ids_sql(con, "smurf_scores")}, puuid, $scored_at, $model_version,
                smurf_score, boosted_score, label,
                CASE WHEN isfinite(confidence) THEN confidence END, reason,
                games_analyzed, matches_stored, tier,
                {_contributions_json(scores)},
                {_json_object(scores, feature_columns(scores))}
            FROM "{view}" """,
            {"scored_at": scored_at.replace(tzinfo=None), "model_version": MODEL_VERSION},
        )
    finally:
        con.unregister(view)
    return len(scores)
