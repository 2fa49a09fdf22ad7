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
# # Smurf report
#
# Who looks like a smurf or a boosted account right now, why, what changed since the last
# report, and (on simulator data) how well the detection works. Run it from the command line
# with `smurf report -p top_n=50`, or on a schedule as the NOTEBOOK_REPORT job.

# %% tags=["parameters"]
db_path: str = ""  # DuckDB file or lake URL to read; empty: SMURF_DB, else data/smurf.duckdb (from the project root)
lock_timeout_s: float = -1.0  # seconds to wait while another program writes the database; -1: SMURF_LOCK_TIMEOUT_S, else 30 [-1, 3600]
platform: str = ""  # only players on this platform (euw1, na1, ...); empty for every platform
min_games: int = 10  # leave out scores built on fewer games [0, 100000]
top_n: int = 25  # how many suspects to list [1, 1000]
label: str = ""  # SMURF or BOOSTED to list one kind only; empty for both {SMURF, BOOSTED}
as_of: str = ""  # report scores as they stood at this UTC time (ISO 8601); empty for now
since: str = ""  # UTC time of the previous report (ISO 8601); empty for 24 hours before as_of
csv_path: str = ""  # where to write the suspects as CSV; empty for no CSV (`smurf report` writes one beside the report unless given)

# %%
# %matplotlib inline
import os
from datetime import UTC, datetime, timedelta

from IPython.display import Markdown, display

from pipeline.explorer import carried, plots, present, quality, scores, sql
from pipeline.riot.routing import PLATFORMS
from pipeline.store import read
from pipeline.workspace import notebook_database, notebook_lock_timeout, one_of, resolve, utc_time
from pipeline.words import counted

db = notebook_database(db_path, os.environ)
wait_s = notebook_lock_timeout(lock_timeout_s, os.environ)
label = one_of(label, "label", scores.FLAGGED_LABELS)
platform = one_of(platform.strip().lower(), "platform", PLATFORMS)
as_of_at = utc_time(as_of, "as_of") or datetime.now(UTC).replace(tzinfo=None)
since_at = utc_time(since, "since") or as_of_at - timedelta(hours=24)
if since_at > as_of_at:
    raise ValueError(f"since ({since_at:%Y-%m-%d %H:%M}) is after as_of ({as_of_at:%Y-%m-%d %H:%M}): give an earlier since.")
listed_kind = {"SMURF": ("smurf", "smurfs"), "BOOSTED": ("boosted account", "boosted accounts")}.get(
    label, ("smurf or boosted account", "smurfs and boosted accounts")
)
present.interactive_tables()
display(present.header(
    f"Scores as of **{as_of_at:%Y-%m-%d %H:%M} UTC**",
    f"database `{present.shown_path(db)}`",
    f"platform {platform}" if platform else "every platform",
    f"players with at least {counted(min_games, 'game', 'games')}",
    "top " + counted(top_n, *listed_kind),
    f"changes since {since_at:%Y-%m-%d %H:%M} UTC",
))

# %% [markdown]
# ## What is in the database
# The rows of each table when the report runs. With `as_of` given and rows stored since,
# also the rows stored by then, for the tables that record when each row was stored; the
# tables derived from them (the per-player sums, score inputs, queue and baselines) have no
# such time: n/a.

# %%
present.show_table(
    sql.counts_for_readers(sql.table_counts(db, as_of=as_of_at if as_of else None, timeout_s=wait_s)),
    empty="The database has no tables yet.",
    paged=False,  # every table, also in print
)

# %% [markdown]
# ## Scores by tier
# The latest score of each player (as of the report time) with at least `min_games` games.

# %%
with read(db, timeout_s=wait_s) as con:
    latest = scores.latest_scores(con, platform=platform or None, min_games=min_games, as_of=as_of_at)
    first_scored = scores.first_scored_at(con)
    games_stored = scores.stored_games(con)  # nobody scored: what to run depends on it
# The filters in words: a count without them reads as all the scored players.
within = f"with at least {counted(min_games, 'game', 'games')}" + (f" on {platform}" if platform else "")
display(Markdown(f"{counted(len(latest), 'scored player', 'scored players')} {within}."))
present.show_table(
    scores.score_distribution(latest),
    empty=scores.no_scores_message(within, as_of_at, first_scored, games_stored),
    index=True,
)
unjudged = scores.unjudged_message(latest)  # no profiles fetched yet, say: no blank chart
if unjudged:
    display(Markdown(f"*{unjudged}*"))
elif not latest.empty:
    display(plots.score_distribution_figure(latest))

# %% [markdown]
# ## Top suspects
# The most suspicious flagged players. The score is the probability behind the label; the
# top factors are what pushed it up most (each factor's contribution to the log-odds).

# %%
suspects = scores.top_suspects(latest, label=label, top_n=top_n)
if 0 < len(suspects) < top_n:  # the header promised top_n
    display(Markdown(scores.few_suspects_message(len(suspects), within, label)))
present.show_table(
    scores.for_readers(suspects),
    empty=scores.no_suspects_sentence(latest, within=within, label=label),
    paged=False,  # every suspect asked for, also in print
)

# %% [markdown]
# ## Carried by a suspected smurf
# Players not labelled SMURF who played at least half of their games, and at least five,
# on the same team as one account labelled SMURF (with at least `min_games` games, on
# `platform` when given, as of the report's time). A smurf carries their rank: a paid duo
# boost, or a friend's smurf; the games cannot tell which. Their own games read as anyone's,
# so no BOOSTED label catches a client carried in duo: this is a lead to look into, not a
# label. Not listed when `label` is SMURF.

# %%
if label == "SMURF":
    display(Markdown("*Not listed: `label` is SMURF.*"))
else:
    with read(db, timeout_s=wait_s) as con:
        carried_list = carried.carried_players(
            con, min_games=min_games, platform=platform or None, as_of=as_of_at
        )
    many = "player" if len(carried_list) == 1 else "players"
    display(Markdown(f"**{len(carried_list):,}** {many} carried by an account labelled SMURF"))
    present.show_table(
        carried.carried_for_readers(carried_list),
        empty="Nobody plays most of their games on the same team as an account labelled SMURF.",
    )

# %% [markdown]
# ## New since the last report
# Newly flagged players (with at least `min_games` games and, when `label` is set, of that
# kind only, as above), and accounts that became unavailable (likely banned).

# %%
with read(db, timeout_s=wait_s) as con:
    flagged = scores.newly_flagged(
        con, since=since_at, as_of=as_of_at, platform=platform or None, min_games=min_games,
        label=label or None,
    )
    unavailable = scores.newly_unavailable(con, since=since_at, as_of=as_of_at, platform=platform or None)
display(Markdown(scores.newly_flagged_heading(len(flagged), since_at, first_scored)))
present.show_table(scores.for_readers(flagged), empty="Nobody was newly flagged.")
display(Markdown(f"**{len(unavailable)}** newly unavailable"))
present.show_table(
    scores.accounts_for_readers(unavailable, checked="checked"),
    empty="No account became unavailable.",
)

# %% [markdown]
# ## Accounts gone
# Scored accounts the profile refresh no longer finds (banned or deleted; the quality table's
# *account gone*), as of the report's time, however long ago. Too little is known of them to
# label them, so the ban checker, which checks labelled players, does not list them above.

# %%
with read(db, timeout_s=wait_s) as con:
    gone = scores.gone_accounts(con, as_of=as_of_at, platform=platform or None)
display(Markdown(f"**{len(gone)}** {'account' if len(gone) == 1 else 'accounts'} gone"))
present.show_table(
    scores.accounts_for_readers(gone, checked="profile checked"),
    empty="No scored account" + (f" on {platform}" if platform else "") + " is gone.",
)

# %% [markdown]
# ## Detection quality against ground truth
# Only on simulator data (table `sim_truth`). Everyone with the scoring's minimum of games
# (not `min_games`, and on every platform whatever `platform` says) is scored now and
# compared with the truth, as `smurf evaluate` and the demo summary do, so the three give
# the same numbers. The model's ROC curves are drawn
# next to the rule "win rate >= 65 % over >= 30 games"; the table splits the smurf numbers
# by what is known about the player.

# %%
with read(db, timeout_s=wait_s) as con:
    judged = quality.judged(con)
if judged is None:
    display(Markdown("*No ground truth in this database (it is not a simulator export or crawl).*"))
elif judged.scored.empty:
    display(Markdown(f"*Nobody here has the {quality.MIN_GAMES} games a judgement needs yet.*"))
else:
    truth = judged.scored
    rule = quality.rule_point(truth)
    display(Markdown(
        quality.summary_in_words(judged)
        + " Precision of the top "
        + f"{counted(min(top_n, len(truth)), 'smurf score', 'smurf scores')}: "
        f"**{quality.precision_at(truth['is_smurf'], truth['smurf_score'], top_n):.0%}**. "
        + quality.rule_in_words(rule)
    ))
    display(plots.roc_figure(
        {
            "smurf score": quality.roc_curve(truth["is_smurf"], truth["smurf_score"]),
            "boosted score": quality.roc_curve(truth["is_boosted"], truth["boosted_score"]),
        },
        rule,
    ))
    present.show_table(quality.bucket_table(judged), empty="Nobody to judge.")

# %% [markdown]
# ## Suspects CSV

# %%
if csv_path:
    csv_file = resolve(csv_path)
    decimals = dict.fromkeys(suspects.select_dtypes("float").columns, 6)
    suspects.round(decimals).to_csv(csv_file, index=False)  # 0.9295672, not 0.9295672000000001
    why_none = scores.why_no_suspects(latest, within=within, label=label)
    note = scores.suspects_csv_note(len(suspects), present.shown_path(csv_file), why_none)
    display(Markdown(note if len(suspects) else f"*{note}*"))
else:
    display(Markdown("*No CSV asked for (`csv_path` is empty).*"))
