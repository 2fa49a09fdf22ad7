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
# # Job monitor
#
# How the scheduled jobs have been doing: runs over time by job and status, API requests,
# rate-limited runs, durations, and the captured log lines of failed runs.

# %% tags=["parameters"]
db_path: str = ""  # DuckDB file or lake URL to read; empty: SMURF_DB, else data/smurf.duckdb (from the project root)
lock_timeout_s: float = -1.0  # seconds to wait while another program writes the database; -1: SMURF_LOCK_TIMEOUT_S, else 30 [-1, 3600]
days: int = 7  # how many days back to look [1, 3650]
job_type: str = ""  # one job type; empty for every job {TRACKED_PLAYER_UPDATER, MATCH_FETCHER, PROFILE_REFRESHER, SMURF_ANALYZER, BAN_CHECKER, NOTEBOOK_REPORT, LAKE_MAINTENANCE}
as_of: str = ""  # end of the window, UTC time (ISO 8601); empty for now

# %%
# %matplotlib inline
import os
from datetime import UTC, datetime, timedelta

from IPython.display import Markdown, display

from pipeline.explorer import jobs, plots, present
from pipeline.jobs.types import JobType
from pipeline.store import read
from pipeline.words import counted
from pipeline.workspace import notebook_database, notebook_lock_timeout, one_of, utc_time

db = notebook_database(db_path, os.environ)
wait_s = notebook_lock_timeout(lock_timeout_s, os.environ)
job_type = one_of(job_type, "job_type", [t.value for t in JobType])
end = utc_time(as_of, "as_of") or datetime.now(UTC).replace(tzinfo=None)
start = end - timedelta(days=days)
with read(db, timeout_s=wait_s) as con:
    runs = jobs.with_riot_ids(con, jobs.executions(con, since=start, job_type=job_type or None))
    failed_logs = jobs.failed_run_logs(con, since=start, until=end, job_type=job_type or None)
    ended = jobs.ended_runs_note(con, db)
runs = runs[runs["started_at"].fillna(runs["created_at"]) <= end]
present.interactive_tables()
display(present.header(
    f"Database `{present.shown_path(db)}`",
    f"the {counted(days, 'day', 'days')} from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC",
    f"job {job_type}" if job_type else "every job",
))
display(Markdown(f"**{len(runs):,}** {'execution' if len(runs) == 1 else 'executions'} in the window."))
if ended:  # a run whose process was killed still reads RUNNING below
    display(Markdown(ended))

# %% [markdown]
# ## Per job: runs, failures, rate limits, API requests, durations

# %%
present.show_table(jobs.summary_for_readers(jobs.job_summary(runs)), empty="No job ran in this window.", index=True)

# %% [markdown]
# ## Executions over time

# %%
if runs.empty:
    display(Markdown("*No executions to draw.*"))
else:
    display(plots.job_runs_figure(runs))

# %% [markdown]
# ## Rate-limited runs

# %%
if (runs["status"] == "RATE_LIMITED").any():
    display(Markdown(jobs.RATE_LIMITED_IN_WORDS))
present.show_table(jobs.rate_limited_runs(runs), empty="No rate-limited runs in this window.")

# %% [markdown]
# ## Failed runs and their log lines

# %%
failed = jobs.failed_runs(runs)
present.show_table(failed, empty="No failed runs in this window.")
if not failed.empty:
    present.show_table(jobs.logs_for_readers(failed_logs), empty="The failed runs captured no log lines.")
