# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Ad hoc SQL
#
# `q(sql, params)` runs one statement on a read-only connection that is opened for it and
# closed straight after, so this notebook never blocks the scheduler for long: the connection
# reaches no file but the database, and a query stops at its time limit. It returns at most
# `max_rows` rows, shown 50 a page (choose All under "entries per page" for one page of them
# all), and says so above them when the query returned more or they take more than a page
# (and what its `empty` says when it returned none). Bind values with `?`
# placeholders (`q("... WHERE platform = ?", [platform])`), never by formatting them into
# the SQL text. The schema is in `pipeline/store/migrations/`. Add cells of your own below:
# in `smurf lab` this is your working copy, so nothing you type here changes the repository.

# %% tags=["parameters"]
db_path: str = ""  # DuckDB file or lake URL to read; empty: SMURF_DB, else data/smurf.duckdb (from the project root)
lock_timeout_s: float = -1.0  # seconds to wait while another program writes the database; -1: SMURF_LOCK_TIMEOUT_S, else 30 [-1, 3600]
min_games: int = 20  # fewest games for the win-rate example (bound as a ? parameter) [0, 100000]
max_rows: int = 1000  # most rows any query returns [1, 1000000]

# %%
import os

from IPython.display import Markdown, display

from pipeline.explorer import present, sql
from pipeline.words import counted
from pipeline.workspace import notebook_database, notebook_lock_timeout

db = notebook_database(db_path, os.environ)
wait_s = notebook_lock_timeout(lock_timeout_s, os.environ)


def q(text: str, params: list[object] | None = None, empty: str = "The query returned no rows."):
    """Run one read-only query; at most max_rows rows (shown as a sortable table, 50 a page),
    and a note above them when the query returned more or they take more than a page, or
    `empty` when it returned none."""
    frame = sql.query(db, text, params, max_rows=max_rows, timeout_s=wait_s)
    for note in (sql.cut_note(frame), present.pages_note(len(frame), present.QUERY_PAGE_LENGTH)):
        if note:
            display(Markdown(f"**{note}**"))
    if frame.empty:
        display(Markdown(f"*{empty}*"))
    return frame


present.interactive_tables(every_frame=True, page_length=present.QUERY_PAGE_LENGTH)
display(present.header(f"Database `{present.shown_path(db)}`", f"at most {counted(max_rows, 'row', 'rows')} a query"))
present.with_separators(sql.table_counts(db, timeout_s=wait_s))  # counts read 10,120

# %% [markdown]
# ## Players per platform and tier (latest scores)

# %%
q("""
SELECT p.platform, s.tier, count(*) AS players,
       count(*) FILTER (WHERE s.label = 'SMURF') AS smurfs,
       count(*) FILTER (WHERE s.label = 'BOOSTED') AS boosted
FROM latest_smurf_scores s JOIN players p USING (puuid)
GROUP BY ALL ORDER BY platform, players DESC, tier
""", empty="Nobody is scored yet: `smurf analyze` (or the scheduler) scores the players whose games are stored.")

# %% [markdown]
# ## Highest win rates over at least `min_games` ranked solo games
#
# A puuid is 78 characters; `smurf explain` takes its first 8 or more (12 here, which two
# players seldom share). Players at the same win rate are ordered by games, then puuid, so
# the same 20 come back on every run.

# %%
q("""
SELECT any_value(riot_id_game_name) AS name, count(*) AS games,
       round(avg(win::INTEGER), 3) AS win_rate, round(avg(kda), 2) AS kda,
       left(puuid, 12) AS puuid_start
FROM match_participants
WHERE queue_id = 420
GROUP BY puuid
HAVING count(*) >= ?
ORDER BY win_rate DESC, games DESC, puuid
LIMIT 20
""", [min_games], empty=f"No player has {min_games} ranked solo games stored yet: lower min_games, or let the jobs store more.")

# %% [markdown]
# ## How each player's label changed between scoring runs
#
# Newest first, and by Riot ID within a run (a run scores many players at one time). A long
# list is shown 50 a page, with a note above it of how many changes there are.

# %%
q("""
SELECT coalesce(p.game_name || '#' || p.tag_line, s.puuid) AS riot_id,
       strftime(s.scored_at, '%Y-%m-%d %H:%M') AS scored, s.label,
       round(s.smurf_score, 3) AS smurf_score, round(s.boosted_score, 3) AS boosted_score,
       lag(s.label) OVER (PARTITION BY s.puuid ORDER BY s.scored_at) AS previous_label
FROM smurf_scores s LEFT JOIN players p USING (puuid)
QUALIFY previous_label IS DISTINCT FROM s.label AND previous_label IS NOT NULL
ORDER BY s.scored_at DESC, riot_id, s.puuid
""", empty="No label has changed yet: this needs two scoring runs (`smurf analyze` after new games or profiles) that label a player differently.")

# %% [markdown]
# ## Ban evidence: the latest check of each account

# %%
q("""
SELECT status, count(*) AS accounts
FROM (SELECT * FROM account_checks
      QUALIFY row_number() OVER (PARTITION BY puuid ORDER BY checked_at DESC, id DESC) = 1)
GROUP BY status ORDER BY accounts DESC, status
""", empty="No account is checked yet: BAN_CHECKER (`smurf run BAN_CHECKER`, or the scheduler) checks the flagged players.")

# %% [markdown]
# ## The connection is read-only
# Writes are refused, and so is any file but the database (no `COPY TO`, `read_csv`,
# `ATTACH`), so an ad hoc query can never damage the data; the message says why.

# %%
try:
    q("DELETE FROM players")
except sql.WriteRefusedError as exc:
    print(f"Refused: {exc}")
