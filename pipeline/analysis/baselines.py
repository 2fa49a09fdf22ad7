"""Tier x role baselines of the per-game metrics (``store.game_metrics``), as SQL.

A baseline is the mean and standard deviation of a metric over every stored game played in
a role by the players of a tier (their current tier), from the per-player sums the store
keeps (``store.aggregates``): one pass over those sums, none over the games. Small cells
are shrunk toward the role's value over all tiers, and a role with few games toward the
documented defaults (``Metric``), each with ``baseline_prior_games`` pseudo-games::

    mean = (n * cell_mean + k * parent_mean) / (n + k)
    var  = (n * cell_var  + k * parent_var)  / (n + k)

so an empty or tiny database still scores against sensible values.
"""

from __future__ import annotations

from pipeline.store.game_metrics import METRICS, Metric

__all__ = ["METRICS", "Metric", "baselines_ctes", "composite_z"]


def _stats(source: str, keys: str) -> str:
    parts = [f"{keys}, sum(n) AS n"]
    for m in METRICS:
        n, total, sq = (f"sum({m.name}_{x})" for x in ("n", "sum", "sq"))
        parts.append(f"{total} / nullif({n}, 0) AS {m.name}_mean")
        # Sample variance from sums; greatest() absorbs rounding below zero.
        parts.append(
            f"coalesce(greatest(({sq} - {total} * {total} / nullif({n}, 0))"
            f" / nullif({n} - 1, 0), 0), 0) AS {m.name}_var"
        )
    return f"SELECT {', '.join(parts)} FROM {source} GROUP BY {keys}"


def _shrunk(child: str, parent_mean: str, parent_var: str, m: Metric) -> str:
    # A missing child (no games in the cell) has n = 0 and takes the parent's value.
    k = "$baseline_prior_games"
    n = f"coalesce({child}.n, 0)"
    return (
        f"({n} * coalesce({child}.{m.name}_mean, 0) + {k} * {parent_mean}) "
        f"/ ({n} + {k}) AS {m.name}_mean, "
        f"({n} * coalesce({child}.{m.name}_var, 0) + {k} * {parent_var}) "
        f"/ ({n} + {k}) AS {m.name}_var"
    )


def baselines_ctes(cells: str, extra_tiers: str) -> str:
    """CTEs ``role_baselines`` and ``baselines`` (tier, role).

    ``cells`` is a query of one row per (game_tier, role) with ``n`` (games) and, per
    metric, ``<metric>_n``, ``<metric>_sum`` and ``<metric>_sq`` (count, sum, sum of
    squares); ``extra_tiers`` is a query of more tiers (column ``tier``) that need a row even
    without games.
    """
    role_cols = ", ".join(
        _shrunk("r", f"{m.default_mean}", f"{m.default_sd**2}", m) for m in METRICS
    )
    # A floor on the spread keeps a constant metric from dividing by zero.
    sd_cols = ", ".join(
        f"sqrt(greatest({m.name}_var, {(m.default_sd * 0.05) ** 2})) AS {m.name}_sd"
        for m in METRICS
    )
    cell_cols = ", ".join(_shrunk("c", f"rb.{m.name}_mean", f"rb.{m.name}_var", m) for m in METRICS)
    return f"""
cell_sums AS MATERIALIZED ({cells}),
role_stats AS ({_stats("cell_sums", "role")}),
role_baselines AS (SELECT r.role, {role_cols} FROM role_stats r),
cell_stats AS ({_stats("cell_sums", "game_tier, role")}),
baseline_tiers AS (SELECT DISTINCT game_tier AS tier FROM cell_sums UNION {extra_tiers}),
shrunk_baselines AS (
    SELECT t.tier, rb.role, coalesce(c.n, 0) AS n, {cell_cols}
    FROM baseline_tiers t CROSS JOIN role_baselines rb
    LEFT JOIN cell_stats c ON c.game_tier = t.tier AND c.role = rb.role
),
baselines AS MATERIALIZED (SELECT *, {sd_cols} FROM shrunk_baselines)"""


def composite_z(values: str, baseline: str) -> str:
    """SQL: the mean over the metrics of each value as a signed z-score against a baseline
    row (``values``: a column prefix, e.g. ``g.x_``), missing metrics left out; 0 when
    none is known."""
    zs = [
        f"{m.direction} * ({values}{m.name} - {baseline}.{m.name}_mean) / {baseline}.{m.name}_sd"
        for m in METRICS
    ]
    total = " + ".join(f"coalesce({z}, 0)" for z in zs)
    count = " + ".join(f"({z} IS NOT NULL)::INTEGER" for z in zs)
    return f"coalesce(({total}) / nullif({count}, 0), 0)"
