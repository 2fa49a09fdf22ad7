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
# # Player explorer
#
# Find a player by Riot ID (`name#tag`) or puuid, or narrow the list by tier, label and score;
# the list keeps to both the search and the filters, but a player named exactly (a whole
# Riot ID or puuid) is listed whatever the filters. Selecting a player shows their
# card (the line above the search box says whose, and why it is shown): why they score as they do, their rank history, their games against the tier/role
# baseline, and the accounts they play with. Every interaction opens the database read-only
# for a moment and closes it, so the scheduler is never blocked. The tier/role averages are
# read from every stored game once and kept until the games grow by 2 % (or for ten
# minutes), so later cards read only their player's games. In an exported report the
# explorer appears as a static copy of what it showed when the notebook ran.

# %% tags=["parameters"]
db_path: str = ""  # DuckDB file or lake URL to read; empty: SMURF_DB, else data/smurf.duckdb (from the project root)
lock_timeout_s: float = -1.0  # seconds to wait while another program writes the database; -1: SMURF_LOCK_TIMEOUT_S, else 30 [-1, 3600]
player: str = ""  # Riot ID (name#tag) or puuid to open first; empty for the top suspect
queue: int = 0  # queue for the match history (420 is ranked solo); 0 for all queues [0, 100000]

# %%
# %matplotlib inline
import os

from IPython.display import display

from pipeline.explorer import present
from pipeline.explorer.widgets import PlayerExplorer
from pipeline.workspace import notebook_database, notebook_lock_timeout

db = notebook_database(db_path, os.environ)
wait_s = notebook_lock_timeout(lock_timeout_s, os.environ)
explorer = PlayerExplorer(db, queue=queue or None, timeout_s=wait_s)
display(present.header(
    f"Database `{present.shown_path(db)}`",
    f"match history of queue {queue}" if queue else "match history of every queue",
))
if player:
    explorer.min_score.value = 0
    explorer.search(player)
display(explorer)
