"""Per-player sums of the stored games, kept current in the same transaction as the games.

Scoring needs, per player, sums over their games (counts, sums, sums of squares, sums
against time); recomputing them from millions of participant rows on every analyzer run
makes its cost follow the database rather than the new games. So every write of new matches
adds the new games' contributions here, and ``rebuild_aggregates`` recomputes everything
from ``match_participants``. Three tables:

    player_game_sums   per (puuid, queue_id, role, win): games, kills, deaths, assists,
                       first/last game, highest level, time sums (t = days since 2020),
                       and per metric (``game_metrics``) its count, sum, sum of squares and
                       sum against time (tier baselines, trends); for games
                       in a regular lobby, the player against the other nine
                       (``lobby_<metric>``: own value minus the others' mean, its sum and sum
                       against time) and the stomps (``lobby_stomps``: lobby z >= 1)
    player_champions   per (puuid, queue_id, champion_id): games
    player_game_weeks  per (puuid, queue_id, week): the weeks played (for long breaks) and,
                       for the games in a regular lobby, their count and lobby z sum (how
                       play against the lobby went week by week: a fall from the best week)
    lobby_reference    per role: the norms a game's lobby z is judged with when it is stored
                       (so a stomp is decided once); refreshed from all stored games by
                       ``rebuild_aggregates`` (see ``reference_is_stale``)

Writers append a row per new game (a key may have several rows: readers add them up,
``compact`` merges them), so storing a batch never reads what is stored. Each row is
appended with ``folded`` false: the analyzer folds new rows into its one row per player of
score inputs (``analysis.inputs``) and marks them folded in the same transaction; rewriting
the rows (``compact``, ``rebuild_aggregates``) forgets those inputs. Every per-game
value is rounded to six decimals (DECIMAL(14, 6)) before it is summed, and sums are kept as
DECIMAL(18, 6) (64-bit integers: a scan of them costs a fifteenth of 128-bit ones): integer
arithmetic, so the sums do not depend on the order games arrive in
and the incremental tables equal the rebuilt ones bit for bit. What depends on more than a
player's own games (the role norms, the tier baselines, the player's rank) is applied when
scoring, from these sums.

A game's lobby values need the whole match: participants are stored only with their match
(``writers``), so a new match brings all of them in one batch.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping

import duckdb

from pipeline.store.game_metrics import METRICS, STANDARD_ROLES, minutes_sql, role_sql

# A game that counts: a remake (every player's gameEndedInEarlySurrender) is no game Riot
# counts, a few minutes of one would read as a game won or lost, and its lobby is no lobby.
# Left out of every sum and of the lobby reference; its rows stay stored.
PLAYED = "NOT coalesce(early_surrender, false)"
# Days are counted from here, so time sums stay small numbers.
EPOCH = "TIMESTAMP '2020-01-01'"
# A game at least this far above its lobby (lobby z, see ``lobby_z``) is a stomp.
STOMP_Z = 1.0
_KEY = ("puuid", "queue_id", "role", "win")
# Below this many participants of a role, the reference keeps the documented default.
MIN_ROLE_ROWS = 30
# A role's spread never reads narrower than half its documented one: in a small or uniform
# database a measured spread near zero would turn a small difference into a huge z.
SPREAD_FLOOR = 0.5


def _q(expr: str) -> str:
    """SQL: ``expr`` rounded to the exact type that is summed; NULL when its size is beyond
    any real game's (DECIMAL(14, 6) holds less than 10^8), so one broken payload can neither
    overflow a sum nor block the batch."""
    return f"TRY_CAST({expr} AS DECIMAL(14, 6))"


def _metric_columns() -> str:
    parts = []
    for m in METRICS:
        parts.append(f"{m.expression} AS x_{m.name}")
    return ",\n           ".join(parts)


def _compared_columns() -> str:
    return ",\n           ".join(f"{m.compared(f'x_{m.name}')} AS l_{m.name}" for m in METRICS)


def _complete() -> str:
    return " AND ".join(f"l_{m.name} IS NOT NULL" for m in METRICS)


def reference_ctes() -> str:
    """CTEs ``reference`` (role norms per-game stomps are judged with: the stored
    ``lobby_reference``, else the documented defaults) and ``offsets`` (see ``lobby_z``)."""
    roles = ", ".join(f"('{r}')" for r in STANDARD_ROLES)
    norms = ", ".join(
        f"coalesce(x.{m.name}_mean, {m.compared_default!r}) AS {m.name}_mean, "
        f"coalesce(x.{m.name}_sd, {m.compared_sd!r}) AS {m.name}_sd"
        for m in METRICS
    )
    offsets = ", ".join(
        f"{m.name}_sd, -10.0 / 9 * {m.name}_mean + 2.0 / 9 * sum({m.name}_mean) OVER ()"
        f" AS {m.name}_off"
        for m in METRICS
    )
    return f"""
reference AS (
    SELECT r.role, {norms}
    FROM (VALUES {roles}) r(role) LEFT JOIN lobby_reference x ON x.role = r.role
),
offsets AS (SELECT role, {offsets} FROM reference)"""


def lobby_z(d: str, games: str, norm: str) -> str:
    """SQL: the sum of lobby z over ``games`` games from the sums of own value minus the
    other nine's mean (``d``, formatted with the metric's name) and a row of role norms
    (alias ``norm``, with ``<metric>_off`` and ``<metric>_sd``).

    Roles differ (a support farms less), so values are centred on their role's mean; with
    one of each role a team, the other nine are the player's role once and every other role
    twice, so centring adds ``offset = -10/9 * mean(role) + 2/9 * sum of the roles' means``
    to ``d``. Linear in ``d``: a player's sum over many games comes from sums of ``d``.
    """
    terms = [
        f"{m.direction} * ({d.format(m.name)} + {games} * {norm}.{m.name}_off) / {norm}.{m.name}_sd"
        for m in METRICS
    ]
    return f"coalesce(({' + '.join(terms)}) / {len(METRICS)}, 0)"


def per_game_sql(source: str) -> str:
    """SELECT: one row per participant row of ``source`` (whole matches) with what is summed.

    Columns: the key, game_start, t, champion_id, level, kills/deaths/assists, per metric
    ``x_`` (raw) and ``l_`` (compared scale), ``d_`` (against the other nine, NULL outside a
    regular lobby) and ``lobby_z`` (the game's lobby z with the reference norms).
    """
    roles = ", ".join(f"'{r}'" for r in STANDARD_ROLES)
    others = ",\n           ".join(
        f"CASE WHEN g.regular THEN {_q(f'r.l_{m.name}')} - (g.s_{m.name} - {_q(f'r.l_{m.name}')})"
        " / 9 END"
        f" AS d_{m.name}"
        for m in METRICS
    )
    # Exact sums: a lobby's total must not depend on the order its rows are added in.
    match_sums = ", ".join(f"sum({_q(f'l_{m.name}')}) AS s_{m.name}" for m in METRICS)
    return f"""
WITH base AS (
    SELECT match_id, puuid, coalesce(queue_id, -1) AS queue_id, {role_sql()} AS role,
           coalesce(win, false) AS win, team_id, game_start, champion_id, summoner_level,
           kills, deaths, assists,
           date_diff('millisecond', {EPOCH}, coalesce(game_start, {EPOCH})) / 86400000.0 AS t,
           {minutes_sql()} AS minutes,
           cs, gold_earned, damage_to_champions, vision_score, kill_participation
    FROM {source}
    WHERE {PLAYED}
),
metrics AS (SELECT *, {_metric_columns()} FROM base),
rows AS (SELECT *, {_compared_columns()} FROM metrics),
-- A regular lobby: ten players, each team one of each role, every metric known.
games AS (
    SELECT match_id,
           count(*) = 10
               AND count(DISTINCT (team_id, role)) FILTER (role IN ({roles})) = 10
               AND bool_and({_complete()}) AS regular,
           {match_sums}
    FROM rows GROUP BY match_id
),{reference_ctes()},
per_game AS (
    SELECT r.*, {others}
    FROM rows r
    JOIN games g ON g.match_id = r.match_id
),
judged AS (
    SELECT p.*, CASE WHEN p.d_kda IS NOT NULL THEN {lobby_z("p.d_{}", "1", "o")} END AS lobby_z
    FROM per_game p LEFT JOIN offsets o ON o.role = p.role
)
SELECT * FROM judged"""


def _game_columns() -> list[tuple[str, str]]:
    """(column, its value for one game of the per-game rows ``p``) of player_game_sums beyond
    the key: a row over several games holds each column combined over them (``_COMBINE``)."""
    in_lobby = "d_kda IS NOT NULL"
    columns = [
        ("games", "1"),
        ("first_start", "game_start"),
        ("last_start", "game_start"),
        ("max_level", "summoner_level"),
        ("kills", "coalesce(kills, 0)"),
        ("deaths", "coalesce(deaths, 0)"),
        ("assists", "coalesce(assists, 0)"),
        ("t_sum", f"coalesce({_q('t')}, 0)"),
        ("t_sq", f"coalesce({_q('t * t')}, 0)"),
        ("lobby_games", f"CASE WHEN {in_lobby} THEN 1 ELSE 0 END"),
        ("lobby_t_sum", f"CASE WHEN {in_lobby} THEN coalesce({_q('t')}, 0) ELSE 0 END"),
        ("lobby_t_sq", f"CASE WHEN {in_lobby} THEN coalesce({_q('t * t')}, 0) ELSE 0 END"),
        ("lobby_stomps", f"CASE WHEN lobby_z >= {STOMP_Z} THEN 1 ELSE 0 END"),
        # With the reference of when it was summed, as the stomps: a square cannot be
        # summed from the other nine's sums under another reference (a new one rebuilds).
        (
            "lobby_z_sq",
            f"CASE WHEN {in_lobby} THEN coalesce({_q('lobby_z * lobby_z')}, 0) ELSE 0 END",
        ),
    ]
    for m in METRICS:
        x, d = f"x_{m.name}", f"d_{m.name}"
        columns += [
            (f"{m.name}_n", f"CASE WHEN {_q(x)} IS NOT NULL THEN 1 ELSE 0 END"),
            (f"{m.name}_sum", f"coalesce({_q(x)}, 0)"),
            (f"{m.name}_sq", f"coalesce({_q(f'{x} * {x}')}, 0)"),
            (f"{m.name}_t", f"coalesce({_q(f't * {x}')}, 0)"),
            (f"lobby_{m.name}_sum", f"coalesce({_q(d)}, 0)"),
            (f"lobby_{m.name}_t", f"coalesce({_q(f't * {d}')}, 0)"),
        ]
    return columns


# How two rows of one key combine; every other column adds up.
_COMBINE = {"first_start": "min", "last_start": "max", "max_level": "max"}


def _sums_select(per_game: str, *, grouped: bool) -> str:
    """SELECT: the sums rows of the per-game rows ``per_game``: one per game, or (``grouped``)
    one per key."""
    items = ", ".join(
        f"{_COMBINE.get(name, 'sum')}({expr}) AS {name}" if grouped else f"{expr} AS {name}"
        for name, expr in _game_columns()
    )
    group = " GROUP BY ALL" if grouped else ""
    return f"SELECT {', '.join(_KEY)}, {items}, false AS folded FROM ({per_game}) p{group}"


def _append_sums(con: duckdb.DuckDBPyConnection, per_game: str, *, grouped: bool) -> None:
    """Append sums rows: a key may then have several, which readers add up (every use of
    the sums is a sum, a minimum or a maximum over rows) and ``compact`` merges. Nothing
    stored is read, so a batch costs the same however large the table.

    A batch appends a row per game (``grouped`` false): a batch rarely holds two games of
    one key (a crawled player's own games, among nine other players each), so summing it
    first saved few rows (7 % on a crawl of 53,390 games in 383 batches) and made its
    statement slower (``bench_store``'s 2,000 matches, medians of four imports: 0.45 s
    grouped, 0.28 s a row per game). A rebuild, over every stored game, groups."""
    con.execute(f"INSERT INTO player_game_sums BY NAME {_sums_select(per_game, grouped=grouped)}")


def _append_champions(con: duckdb.DuckDBPyConnection, source: str) -> None:
    con.execute(
        f"""INSERT INTO player_champions (puuid, queue_id, champion_id, games, folded)
        SELECT puuid, coalesce(queue_id, -1), coalesce(champion_id, -1), count(*), false
        FROM {source} GROUP BY ALL"""
    )


def _combined(column: str) -> str:
    return f"{_COMBINE.get(column, 'sum')}({column}) AS {column}"


# Each table's key and the columns its rows combine (``_COMBINE``, else added up). Writers
# append to every one; ``compact`` merges each key's rows.
_LAYOUT: dict[str, tuple[tuple[str, ...], list[str]]] = {
    "player_game_sums": (_KEY, [name for name, _ in _game_columns()]),
    "player_champions": (("puuid", "queue_id", "champion_id"), ["games"]),
    "player_game_weeks": (("puuid", "queue_id", "week"), ["lobby_games", "lobby_z_sum"]),
}


def _merged_select(table: str) -> str:
    """SELECT: ``table`` with the rows of each key merged into one."""
    key, values = _LAYOUT[table]
    return f"SELECT {', '.join([*key, *(_combined(v) for v in values)])} FROM {table} GROUP BY ALL"


def compact(con: duckdb.DuckDBPyConnection) -> int:
    """Merge the rows of each key into one (exact: integer sums); returns the rows removed.

    Run in a write transaction; the analyzer does when the tables doubled since."""
    forget_score_inputs(con)
    removed = 0
    for table in _LAYOUT:
        before = count_rows(con, table)
        merged = f"compacted_{uuid.uuid4().hex}"
        con.execute(f"CREATE TEMP TABLE {merged} AS {_merged_select(table)}")
        try:
            con.execute(f"DELETE FROM {table}")
            # Unfolded: compaction forgets the analyzer's inputs, which are summed again.
            con.execute(f"INSERT INTO {table} BY NAME SELECT *, false AS folded FROM {merged}")
        finally:
            drop_temp_table(con, merged)
        removed += before - count_rows(con, table)
    return removed


def forget_score_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the analyzer's score inputs (``analysis.inputs``), folded from the sums rows:
    once the rows are rewritten, which of them were folded is lost, so the analyzer sums
    everyone's inputs again on its next run."""
    con.execute("DELETE FROM score_inputs_state")
    con.execute("DELETE FROM player_score_inputs")


def forget_rank_summary(con: duckdb.DuckDBPyConnection) -> None:
    """Empty the analyzer's rank summary (``analysis.ranks``) and mark every rank snapshot
    unfolded: its next run sums them all again."""
    con.execute("DELETE FROM player_ranks")
    con.execute("UPDATE rank_snapshots SET folded = NULL WHERE folded")


def drop_temp_table(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a temp table on the way out of a write, even one that failed: after a failed
    statement the transaction is aborted and refuses every statement, and the error that
    matters (a write conflict the caller retries, say) is the one already on its way."""
    # An aborted transaction's rollback takes the table with it.
    with contextlib.suppress(duckdb.TransactionException):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """The rows of ``table``."""
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def canonical_sums(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    """Every aggregate table with one row per key, ordered: what two databases holding the
    same games have in common, however their rows were appended."""
    return {
        table: con.execute(f"{_merged_select(table)} ORDER BY ALL").fetchall() for table in _LAYOUT
    }


def _weeks_select(per_game: str) -> str:
    """SELECT: the rows of ``player_game_weeks`` for the per-game rows ``per_game``: per
    player, queue and week (Monday) played, the games in a regular lobby and their lobby z
    summed (each game's rounded first, so the sums are exact)."""
    return f"""
        SELECT puuid, queue_id, CAST(date_trunc('week', game_start) AS DATE) AS week,
               count(lobby_z) AS lobby_games,
               coalesce(sum({_q("lobby_z")}), 0) AS lobby_z_sum, false AS folded
        FROM ({per_game}) p
        WHERE game_start IS NOT NULL
        GROUP BY ALL"""


def _add_weeks(con: duckdb.DuckDBPyConnection, per_game: str) -> None:
    """Append the weeks the per-game rows ``per_game`` were played in, once per batch: a
    week stored already may come again (readers add its rows up, ``compact`` merges).
    Leaving out the weeks already stored read the whole table on every batch: 15 ms of a
    100-match batch once it held 2.1 M weeks (6.2 M games), and growing with it; 6 ms
    without."""
    con.execute(f"INSERT INTO player_game_weeks BY NAME {_weeks_select(per_game)}")


def enqueue_players(
    con: duckdb.DuckDBPyConnection, puuids: str, *, note_queued: bool = True
) -> None:
    """Queue the players of the query ``puuids`` (column ``puuid``) for scoring: something
    their score depends on changed. A player already queued keeps their place, and is
    noted in ``players_to_score_again`` (``note_queued``: every writer of what scores read;
    the analyzer's own queueing inside its pass need not), so that an analyzer pass running
    meanwhile cannot lose the change (``requeue_noted``)."""
    if note_queued:
        con.execute(
            f"""
            INSERT INTO players_to_score_again (puuid, noted_at)
            SELECT DISTINCT q.puuid, now()::TIMESTAMP FROM ({puuids}) q
            WHERE q.puuid IN (SELECT puuid FROM players_to_score)
            """
        )
    con.execute(
        f"""
        INSERT INTO players_to_score (puuid, queued_at)
        SELECT DISTINCT q.puuid, now()::TIMESTAMP FROM ({puuids}) q
        WHERE q.puuid IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM players_to_score s WHERE s.puuid = q.puuid)
        """
    )


def requeue_noted(con: duckdb.DuckDBPyConnection) -> None:
    """Queue again the players noted in ``players_to_score_again`` and empty it; first in an
    analyzer pass. A pass that ran while a change was stored may have taken its player off
    the queue; the note it could not see brings them back (notes of players still queued
    change nothing)."""
    enqueue_players(con, "SELECT puuid FROM players_to_score_again", note_queued=False)
    con.execute("DELETE FROM players_to_score_again")


def add_games(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Add the participant rows of ``source`` (a table or view of whole matches just stored,
    typed like ``match_participants``) to the aggregates and queue their players for
    scoring; call in the transaction that stores them."""
    _sum_games(con, source, grouped=False)
    enqueue_players(con, f"SELECT puuid FROM {source}")


def _sum_games(con: duckdb.DuckDBPyConnection, source: str, *, grouped: bool) -> None:
    # The per-game rows feed the sums and the weeks: worked out once.
    per_game = f"per_game_{uuid.uuid4().hex}"
    con.execute(f"CREATE TEMP TABLE {per_game} AS {per_game_sql(source)}")
    try:
        _append_sums(con, f"SELECT * FROM {per_game}", grouped=grouped)
        _add_weeks(con, f"SELECT * FROM {per_game}")
    finally:
        drop_temp_table(con, per_game)
    _append_champions(con, source)


def _reference_select(source: str) -> str:
    """SELECT: the role norms of the compared metrics over the participant rows of
    ``source`` (standard roles only), as ``lobby_reference`` holds them."""
    parts = []
    for m in METRICS:
        value = m.compared(m.expression)
        parts.append(f"avg({value}) AS {m.name}_mean")
        parts.append(
            f"greatest(coalesce(stddev_samp({value}), 0), {m.compared_sd * SPREAD_FLOOR!r})"
            f" AS {m.name}_sd"
        )
    roles = ", ".join(f"'{r}'" for r in STANDARD_ROLES)
    return f"""
        SELECT role, count(*) AS rows, {", ".join(parts)}
        FROM (
            SELECT *, {role_sql()} AS role, {minutes_sql()} AS minutes FROM {source}
            WHERE {PLAYED}
        )
        WHERE role IN ({roles})
        GROUP BY role HAVING count(*) >= {MIN_ROLE_ROWS}"""


def refresh_reference(con: duckdb.DuckDBPyConnection) -> None:
    """Replace ``lobby_reference`` with the role norms of every stored participant."""
    con.execute("DELETE FROM lobby_reference")
    con.execute(f"INSERT INTO lobby_reference BY NAME {_reference_select('match_participants')}")


def games_by_role(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The games the sums hold per role, every queue's: one read of every sums row, so a
    caller that also needs their total (``stored_games``) adds these up instead of reading
    the rows again."""
    # Every role is summed and the standard ones judged outside SQL: a filter on the role
    # is pushed below the grouping into the scan of every sums row, where it costs more than
    # the grouping (27 ms against 12 ms over 1.2 M rows, on a connection just opened).
    rows = con.execute("SELECT role, sum(games) FROM player_game_sums GROUP BY role").fetchall()
    return {str(role): int(games) for role, games in rows}


def reference_is_stale(
    con: duckdb.DuckDBPyConnection, games: Mapping[str, int] | None = None
) -> bool:
    """Whether the stored games outgrew the lobby reference: a standard role has twice the
    games it was computed from (or enough for one where it has none). Refreshing on each
    doubling keeps the total cost of rebuilds within twice one rebuild of the final size.
    ``games``: the sums' games per role (``games_by_role``), if already read."""
    games = games_by_role(con) if games is None else games
    reference = {
        str(r[0]): int(r[1])
        for r in con.execute("SELECT role, rows FROM lobby_reference").fetchall()
    }
    return any(
        role_outgrew_reference(n, reference.get(role))
        for role, n in games.items()
        if role in STANDARD_ROLES
    )


def role_outgrew_reference(games: int, reference_rows: int | None) -> bool:
    """Whether a standard role's stored ``games`` call for a new lobby reference, which was
    computed from ``reference_rows`` of its games (None: the role had too few for one)."""
    if reference_rows is None:
        return games >= MIN_ROLE_ROWS
    return games >= 2 * reference_rows


def rebuild_aggregates(con: duckdb.DuckDBPyConnection, *, renorm: bool = True) -> int:
    """Recompute every aggregate from ``match_participants``; returns the games summed.

    ``renorm`` first refreshes the lobby reference from the stored games; without it the
    stored reference is kept, so the result equals what the writers built incrementally.
    Run inside a write transaction: readers see the old tables until it commits.
    """
    if renorm:
        refresh_reference(con)
    forget_score_inputs(con)
    for table in _LAYOUT:
        con.execute(f"DELETE FROM {table}")
    # Not queued for scoring here: whoever rebuilds decides who needs a new score.
    _sum_games(con, "match_participants", grouped=True)
    return stored_games(con)


def complete_aggregates(con: duckdb.DuckDBPyConnection) -> None:
    """Bring an older database's aggregates to this layout (run by the migration that
    completes it): sum the stored games again, with the lobby reference refreshed if the
    tables are empty (a database from before they existed), else with the one kept (a
    database from before the sums held the lobby z squared: a merged row cannot be split
    into its games again)."""
    row = con.execute("SELECT count(*) FROM player_game_sums").fetchone()
    rebuild_aggregates(con, renorm=bool(row and row[0] == 0))


def stored_games(con: duckdb.DuckDBPyConnection) -> int:
    """The games the sums hold."""
    row = con.execute("SELECT coalesce(sum(games), 0) FROM player_game_sums").fetchone()
    return int(row[0]) if row else 0
