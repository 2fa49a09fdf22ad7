"""Per-game performance metrics and their tier x role baselines, as SQL.

A baseline is the mean and standard deviation of a metric over every stored game played in
a tier (the player's tier at the time of the game) and role. Small cells are shrunk toward
the role's value over all tiers, and a role with few games toward the documented defaults
below, each with ``baseline_prior_games`` pseudo-games::

    mean = (n * cell_mean + k * parent_mean) / (n + k)
    var  = (n * cell_var  + k * parent_var)  / (n + k)

so an empty or tiny database still scores against sensible values.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One per-game performance measure.

    expression: SQL over a match_participants row plus ``minutes`` (game length).
    direction: +1 when more is better, -1 when less is better (deaths).
    default_mean, default_sd: typical ranked solo values, used when data is scarce.
    """

    name: str
    expression: str
    direction: int
    default_mean: float
    default_sd: float


METRICS: tuple[Metric, ...] = (
    Metric("cs_pm", "cs / minutes", 1, 5.5, 2.5),
    Metric("gold_pm", "gold_earned / minutes", 1, 380.0, 90.0),
    Metric("damage_pm", "damage_to_champions / minutes", 1, 600.0, 280.0),
    Metric("kill_participation", "kill_participation", 1, 0.5, 0.15),
    Metric("deaths_pm", "deaths / minutes", -1, 0.2, 0.1),
    Metric("vision_pm", "vision_score / minutes", 1, 0.9, 0.6),
    # The log tames KDA's long tail (a deathless game is (k + a) / 1).
    Metric("kda", "ln(1 + (kills + assists) / greatest(deaths, 1))", 1, 1.2, 0.5),
)


def _cell_sums(source: str) -> str:
    # Sums, not means: role-wide statistics are then added up from the cells without a
    # second pass over the games.
    parts = ["game_tier, role", "count(*) AS n"]
    for m in METRICS:
        parts.append(f"count({m.name}) AS {m.name}_n")
        parts.append(f"sum({m.name}) AS {m.name}_sum")
        parts.append(f"sum({m.name} * {m.name}) AS {m.name}_sq")
    return f"SELECT {', '.join(parts)} FROM {source} GROUP BY game_tier, role"


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


def baselines_ctes(games: str, extra_tiers: str) -> str:
    """CTEs ``role_baselines`` and ``baselines`` (tier, role) over the CTE ``games``.

    ``games`` must have columns game_tier, role and one column per metric; ``extra_tiers``
    is a query of more tiers (column ``tier``) that need a row even without games.
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
cell_sums AS MATERIALIZED ({_cell_sums(games)}),
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


def z_columns(game: str, baseline: str, suffix: str) -> str:
    """SQL select items ``z_<metric><suffix>``: each metric of the game as a signed z-score
    against a baseline row (NULL when the metric is missing)."""
    return ", ".join(
        f"{m.direction} * ({game}.{m.name} - {baseline}.{m.name}_mean) / {baseline}.{m.name}_sd"
        f" AS z_{m.name}{suffix}"
        for m in METRICS
    )


def composite_z_expression(suffix: str) -> str:
    """SQL: the mean of the available ``z_<metric><suffix>`` columns (0 when none is known)."""
    zs = [f"z_{m.name}{suffix}" for m in METRICS]
    total = " + ".join(f"coalesce({z}, 0)" for z in zs)
    count = " + ".join(f"({z} IS NOT NULL)::INTEGER" for z in zs)
    return f"coalesce(({total}) / nullif({count}, 0), 0)"
