"""Bad input: each gets a clear message, and nothing wrong is written to the database."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from pipeline.api import create_api
from pipeline.cli import cli
from pipeline.config import Settings
from pipeline.jobs import JobContext, JobScheduler, JobStatus
from pipeline.log import configure_logging
from pipeline.riot import RiotAPIError, RiotClient
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database
from tests.conftest import FIXTURES_DIR
from tests.sim_helpers import TEST_KEY, count, job_context, run_job, set_job_config, track

WORLD = SimulatorConfig(seed=41, players=60, history_days=14, api_key=TEST_KEY)
DATA_TABLES = ("players", "matches", "match_participants", "rank_snapshots")


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="critical")


def smurf(db: Path, *args: str, sim: RunningSimulator | None = None, key: str = TEST_KEY) -> Result:
    """``smurf --db DB ARGS...`` in this process, talking to ``sim`` when given."""
    env = {"RIOT_API_KEY": key}
    if sim is not None:
        env["RIOT_API_BASE"] = sim.base_url
    return CliRunner().invoke(cli, ["--db", str(db), "--log-json", *args], env=env)


def data_rows(db_path: Path) -> dict[str, int]:
    return {table: count(db_path, f"SELECT count(*) FROM {table}") for table in DATA_TABLES}


def config_row(db_path: Path, job_type: str) -> tuple[Any, ...]:
    with Database(db_path).read() as con:
        row = con.execute(
            "SELECT id, schedule, is_active, config_json::VARCHAR FROM job_configurations"
            " WHERE job_type = ?",
            [job_type],
        ).fetchone()
    assert row is not None
    return tuple(row)


def set_raw_config(db_path: Path, job_type: str, column: str, value: str) -> None:
    with Database(db_path).write() as con:
        con.execute(
            f"UPDATE job_configurations SET {column} = ? WHERE job_type = ?", [value, job_type]
        )


# ---- job configurations ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config_json", "message"),
    [
        ('{"max_new_matches_per_player": "lots", "max_tracked_players": 5}', "whole number"),
        ('{"max_new_matches_per_player": -3, "max_tracked_players": 5}', "between 1 and"),
        ('{"max_tracked_players": 5}', "Missing required config: max_new_matches_per_player"),
        ("[1, 2, 3]", "must be a JSON object"),
        (
            '{"max_new_matches_per_player": 5, "max_tracked_players": 5, "timeout_seconds": 0}',
            "timeout_seconds must be a positive number",
        ),
    ],
)
def test_malformed_config_json_fails_the_run_before_any_request(
    db_path: Path, sim: RunningSimulator, config_json: str, message: str
) -> None:
    """A bad config_json ends the run FAILED naming the key, with no request and no data."""
    track(db_path, [sim.truth()[0]["puuid"]])
    set_raw_config(db_path, "TRACKED_PLAYER_UPDATER", "config_json", config_json)
    outcome = run_job(job_context(db_path, sim), "TRACKED_PLAYER_UPDATER")
    assert outcome.status is JobStatus.FAILED
    assert message in (outcome.error_message or "")
    assert outcome.metrics["api_requests_made"] == 0
    assert data_rows(db_path) == {**dict.fromkeys(DATA_TABLES, 0), "players": 1}


def test_unknown_job_type_is_named_by_the_cli(db_path: Path) -> None:
    """A configuration row of an unknown type makes `smurf run` name the type and the known ones."""
    with Database(db_path).write() as con:
        con.execute(
            "INSERT INTO job_configurations (job_type, name, schedule, is_active, config_json)"
            " VALUES ('NOPE', 'Nope', 'interval(seconds=60)', true, '{}')"
        )
    result = smurf(db_path, "run", "NOPE")
    assert result.exit_code == 1
    assert "Unknown job type 'NOPE'" in result.stderr
    assert "MATCH_FETCHER" in result.stderr
    assert count(db_path, "SELECT count(*) FROM job_executions") == 0


def test_bad_schedule_and_unknown_type_disable_only_their_job(db_path: Path) -> None:
    """The overview names each broken job's error (a schedule, a type, a configuration);
    the other jobs stay scheduled."""
    set_raw_config(db_path, "BAN_CHECKER", "schedule", "every tuesday")
    set_raw_config(db_path, "SMURF_ANALYZER", "schedule", "cron(61 * * * *)")
    with Database(db_path).write() as con:
        con.execute(
            "INSERT INTO job_configurations (job_type, name, schedule, is_active, config_json)"
            " VALUES ('NOPE', 'Nope', 'interval(seconds=60)', true, '{}')"
        )
        # A configuration its runs would refuse is named at start, not at the first run.
        con.execute(
            'UPDATE job_configurations SET config_json = \'{"max_profiles_per_run": "many"}\''
            " WHERE job_type = 'PROFILE_REFRESHER'"
        )

    async def overview() -> dict[str, Any]:
        scheduler = JobScheduler(job_context_for(db_path), sync_interval_s=60)
        await scheduler.start()
        try:
            transport = httpx.ASGITransport(app=create_api(scheduler))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1"
            ) as client:
                response = await client.get("/api/v1/jobs/status/overview")
                assert response.status_code == 200
                nope = next(j for j in response.json()["jobs"] if j["job_type"] == "NOPE")
                # The job exists: triggering it is a bad request naming the type, not a 404.
                refused = await client.post(f"/api/v1/jobs/{nope['id']}/trigger")
                assert refused.status_code == 400
                assert "Unknown job type 'NOPE'" in refused.json()["error"]
            return dict(response.json())
        finally:
            await scheduler.stop()

    jobs = {job["job_type"]: job for job in asyncio.run(overview())["jobs"]}
    assert "Unrecognised schedule 'every tuesday'" in jobs["BAN_CHECKER"]["configuration_error"]
    assert "Bad cron schedule" in jobs["SMURF_ANALYZER"]["configuration_error"]
    assert "Unknown job type 'NOPE'" in jobs["NOPE"]["configuration_error"]
    assert "max_profiles_per_run" in jobs["PROFILE_REFRESHER"]["configuration_error"]
    assert jobs["PROFILE_REFRESHER"]["next_run_time"] is None
    for healthy in ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER"):
        assert jobs[healthy]["configuration_error"] is None
        assert jobs[healthy]["next_run_time"] is not None
    assert jobs["BAN_CHECKER"]["next_run_time"] is None


def test_a_report_whose_notebook_is_missing_or_broken_waits_until_it_is_fixed(
    db_path: Path, tmp_path: Path
) -> None:
    """A report job whose notebook is missing, then will not parse, is named in the
    overview and left unscheduled (the scheduler itself starts and the other jobs run); once
    the notebook is there, the next sync schedules it with no change to its configuration."""
    from pipeline.reports import NOTEBOOKS_DIR

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET config_json = ? WHERE job_type = 'NOTEBOOK_REPORT'",
            [json.dumps({"notebook": "mine", "notebooks_dir": str(notebooks)})],
        )

    async def overviews() -> list[dict[str, Any]]:
        scheduler = JobScheduler(job_context_for(db_path), sync_interval_s=3600)
        await scheduler.start()
        seen = []
        try:
            for notebook in ("missing", "[]", "fine"):
                if notebook == "[]":
                    (notebooks / "mine.ipynb").write_text(notebook)
                elif notebook == "fine":
                    (notebooks / "mine.ipynb").unlink()
                    shutil.copy(NOTEBOOKS_DIR / "01-smurf-report.py", notebooks / "mine.py")
                await scheduler.sync()
                jobs = {job["job_type"]: job for job in read_overview_of(scheduler)["jobs"]}
                seen.append(jobs)
        finally:
            await scheduler.stop()
        return seen

    missing, broken, fine = [jobs["NOTEBOOK_REPORT"] for jobs in asyncio.run(overviews())]
    assert "mine" in missing["configuration_error"] and missing["next_run_time"] is None
    assert broken["configuration_error"] and broken["next_run_time"] is None
    assert fine["configuration_error"] is None and fine["next_run_time"] is not None


def read_overview_of(scheduler: Any) -> dict[str, Any]:
    from pipeline.jobs.scheduler import read_overview

    with scheduler.context.db.read() as con:
        return dict(read_overview(con, scheduler))


def job_context_for(db_path: Path) -> Any:
    from pipeline.config import Settings
    from pipeline.jobs import JobContext

    return JobContext(Settings(db_path=db_path, riot_api_base="http://127.0.0.1:9/{route}"))


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("max_new_matches_per_player=-5", "between 1 and 1,000 (got -5)"),
        ("max_new_matches_per_player=1000000000", "between 1 and 1,000 (got 1000000000)"),
        ("max_new_matches_per_player=abc", "whole number"),
        ("max_new_matches_per_player=2.5", "whole number"),
        ("timeout_seconds=-1", "a positive number of seconds, at most 604,800 (got -1)"),
        ("schedule=interval(seconds=-5)", "must not be negative"),
        ("schedule=interval(hours=0)", "longer than zero"),
        ("max_new_matchs_per_player=5", "has no setting 'max_new_matchs_per_player'"),
    ],
)
def test_jobs_set_refuses_bad_values_and_keeps_the_configuration(
    db_path: Path, assignment: str, message: str
) -> None:
    """`smurf jobs set` rejects negative, absurd or mistyped values and saves nothing."""
    before = config_row(db_path, "TRACKED_PLAYER_UPDATER")
    result = smurf(db_path, "jobs", "set", str(before[0]), assignment)
    assert result.exit_code == 1
    assert message in result.stderr
    assert config_row(db_path, "TRACKED_PLAYER_UPDATER") == before


def test_jobs_set_reads_an_exponent_as_the_whole_number_it_is(db_path: Path) -> None:
    """`max_new_matches_per_player=1e2` means 100 (stored as a whole number); `100.0` is
    refused for a whole-number setting, echoed as it was typed."""
    before = config_row(db_path, "TRACKED_PLAYER_UPDATER")
    written = smurf(
        db_path, "jobs", "set", "TRACKED_PLAYER_UPDATER", "max_new_matches_per_player=1e2"
    )
    assert written.exit_code == 0, written.output
    config = json.loads(config_row(db_path, "TRACKED_PLAYER_UPDATER")[-1])
    assert config["max_new_matches_per_player"] == 100
    assert isinstance(config["max_new_matches_per_player"], int)
    refused = smurf(
        db_path, "jobs", "set", "TRACKED_PLAYER_UPDATER", "max_new_matches_per_player=50.0"
    )
    assert refused.exit_code == 1
    assert "whole number (got 50.0)" in refused.stderr
    assert before != config_row(db_path, "TRACKED_PLAYER_UPDATER")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("jobs", "set", "TRACKED_PLAYER_UPDATER", "novalue"), "Expected key=value"),
        (("jobs", "set", "TRACKED_PLAYER_UPDATER", "=5"), "Expected key=value"),
        (
            ("jobs", "set", "TRACKED_PLAYER_UPDATER", "timeout_seconds=5", "timeout_seconds=6"),
            "'timeout_seconds' is given twice: give each key once.",
        ),
        (("jobs", "executions", "TRACKED_PLAYER_UPDATER", "--limit", "501"), "1<=x<=500"),
    ],
)
def test_a_command_written_wrongly_is_a_usage_error(
    db_path: Path, args: tuple[str, ...], expected: str
) -> None:
    """A malformed key=value, a key given twice or a page larger than the API's is refused
    as usage (exit 2), naming what to write, and changes nothing."""
    before = config_row(db_path, "TRACKED_PLAYER_UPDATER")
    result = smurf(db_path, *args)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "Usage: " in result.stderr
    assert config_row(db_path, "TRACKED_PLAYER_UPDATER") == before


DASHED_PUUID = "-6Xv4oVxuI2hJc4qweTk35mFvw66Jz6Luh_asas7ekZE3ZED2m6vcS5oi5df0svmkYDUdaw7BF9-Fv"


@pytest.mark.parametrize(
    ("command", "puuid"),
    [
        ("explain", DASHED_PUUID),
        ("untrack", DASHED_PUUID),
        ("explain", "-h" + DASHED_PUUID[2:]),  # -h is help's flag: click names the next
        ("explain", "--" + DASHED_PUUID[2:]),  # one in 4,096 reads as a long option
    ],
)
def test_a_puuid_beginning_with_a_dash_is_shown_how_to_give(
    db_path: Path, command: str, puuid: str
) -> None:
    """One puuid in 64 begins with '-', which reads as options: the usage error says to
    put -- before it, and with -- it is read as the player."""
    refused = smurf(db_path, command, puuid)
    assert refused.exit_code == 2, refused.output
    assert "A puuid may begin with '-': put -- before it" in refused.stderr
    assert refused.stderr.rstrip().endswith(f" --log-json {command} -- {puuid}")
    read = smurf(db_path, command, "--", puuid)
    assert read.exit_code == 1, read.output
    assert puuid[:40] in read.stderr and "No such option" not in read.stderr


def test_options_around_a_dashed_puuid_are_shown_before_the_double_dash(db_path: Path) -> None:
    """Options given with a puuid beginning with '-' go before the --, in the command the
    hint shows; options typed after -- (read as arguments) get the same command."""
    typed = f"smurf --db {db_path} --log-json explain --games 5 -- {DASHED_PUUID}"
    refused = smurf(db_path, "explain", DASHED_PUUID, "--games", "5")
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.rstrip().endswith(f"put -- before it, as in {typed}")
    after = smurf(db_path, "explain", "--", DASHED_PUUID, "--games", "5")
    assert after.exit_code == 2, after.output
    assert "Got unexpected extra arguments (--games 5)" in after.stderr
    assert after.stderr.rstrip().endswith(f"put options before it, as in {typed}")
    read = smurf(db_path, "explain", "--games", "5", "--", DASHED_PUUID)
    assert read.exit_code == 1 and "No such option" not in read.stderr
    # The command suggested is quoted for a shell; nothing is suggested where the words
    # after -- do not read as an argument and its options.
    quoted = smurf(db_path, "sql", "--", "select 1", "--format", "csv")
    assert quoted.stderr.rstrip().endswith(
        f"as in smurf --db {db_path} --log-json sql --format csv -- 'select 1'"
    )
    muddled = smurf(db_path, "explain", "--", "--games", "5", DASHED_PUUID)
    assert muddled.exit_code == 2 and "put options before it" not in muddled.stderr


def test_an_unknown_short_option_gets_no_puuid_hint(db_path: Path) -> None:
    """A mistyped option is only named: no puuid there to give with --."""
    result = smurf(db_path, "explain", "-q", "someone#EUW")
    assert result.exit_code == 2
    assert "No such option '-q'." in result.stderr
    assert "puuid" not in result.stderr


def test_a_stored_configuration_with_two_bad_keys_is_mended_in_one_command(
    db_path: Path,
) -> None:
    """A configuration stored with two bad keys (written by hand): mending one is refused
    with both named and a word to give them together, which is then accepted."""
    job_id = str(config_row(db_path, "TRACKED_PLAYER_UPDATER")[0])
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET config_json = json_merge_patch(config_json,"
            """ '{"max_new_matches_per_player": -4, "max_tracked_players": "lots"}')"""
            " WHERE id = ?",
            [int(job_id)],
        )
    before = config_row(db_path, "TRACKED_PLAYER_UPDATER")
    one = smurf(db_path, "jobs", "set", job_id, "max_new_matches_per_player=20")
    assert one.exit_code == 1
    assert "max_tracked_players must be a whole number (got 'lots')" in one.stderr
    assert "every key named here in this one command" in one.stderr
    assert config_row(db_path, "TRACKED_PLAYER_UPDATER") == before
    both = smurf(
        db_path, "jobs", "set", job_id, "max_tracked_players=50", "max_new_matches_per_player=20"
    )
    assert both.exit_code == 0, both.output
    # A fresh mistake on a sound configuration names every bad key, and no stored problem.
    two = smurf(
        db_path, "jobs", "set", job_id, "max_tracked_players=-1", "max_new_matches_per_player=x"
    )
    assert "max_tracked_players must be between" in two.stderr
    assert "max_new_matches_per_player must be a whole number" in two.stderr
    assert "stored configuration" not in two.stderr
    # JSON's null and true read as written, not as Python's None and True.
    null = smurf(db_path, "jobs", "set", job_id, "max_tracked_players=null")
    assert "max_tracked_players must be a whole number (got null)" in null.stderr
    true = smurf(db_path, "jobs", "set", job_id, "max_tracked_players=true")
    assert "max_tracked_players must be a whole number (got true)" in true.stderr
    # Unknown keys are named together, the settings listed once.
    typos = smurf(db_path, "jobs", "set", job_id, "nosuch=1", "other=2")
    assert "has no setting 'nosuch', 'other'; its settings are:" in typos.stderr
    assert typos.stderr.count("its settings are") == 1


# ---- smurf track ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("riot_id", "platform", "message"),
    [
        ("NoTagHere", "euw1", "is not a Riot ID"),
        ("ab#EUW", "euw1", "is not a Riot ID"),
        ("Name#TAG#X", "euw1", "is not a Riot ID"),
        ("Name#", "euw1", "is not a Riot ID"),
        ("Nobody Here#ZZZZ", "euw1", "check the id and the platform"),
        ("Somebody#EUW", "mars1", "mars1"),
    ],
)
def test_track_refuses_bad_riot_ids_and_platforms(
    db_path: Path, sim: RunningSimulator, riot_id: str, platform: str, message: str
) -> None:
    """A malformed or unknown Riot ID, or an unknown platform, is one clear line; nothing stored."""
    before = sim.stats()["requests"]
    result = smurf(db_path, "track", riot_id, "--platform", platform, sim=sim)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert count(db_path, "SELECT count(*) FROM players") == 0
    expected_requests = 1 if "check the id" in message else 0
    assert sim.stats()["requests"] - before == expected_requests


def test_track_behind_a_wrong_path_says_the_address_may_be_at_fault(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Behind a base URL with an extra path segment every Riot ID is "not found": the
    refusal says the address may be the cause, and shows it."""
    wrong = sim.base_url.replace("{route}", "x/{route}")
    result = CliRunner().invoke(
        cli,
        ["--db", str(db_path), "track", "Anyone#EUW"],
        env={"RIOT_API_KEY": TEST_KEY, "RIOT_API_BASE": wrong},
    )
    assert result.exit_code == 1, result.output
    assert "check the id and the platform" in result.stderr
    assert "RIOT_API_BASE may not point at the Riot API" in result.stderr
    assert f"(it is {wrong};" in result.stderr
    assert count(db_path, "SELECT count(*) FROM players") == 0


# ---- keys -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("api_key", "status"), [(None, "401"), ("RGAPI-revoked-0000000000", "403")]
)
def test_missing_or_revoked_key_fails_the_run_once_with_an_actionable_message(
    db_path: Path, sim: RunningSimulator, api_key: str | None, status: str
) -> None:
    """401/403 stop the run at the first request and tell the user to fix the key."""
    track(db_path, [t["puuid"] for t in sim.truth()[:3]])
    before = sim.stats()["by_status"].get(status, 0)
    outcome = run_job(job_context(db_path, sim, api_key=api_key), "TRACKED_PLAYER_UPDATER")
    assert outcome.status is JobStatus.FAILED
    assert outcome.metrics["api_requests_made"] == 1
    assert sim.stats()["by_status"].get(status, 0) - before == 1
    assert "key" in (outcome.error_message or "").lower()
    assert "RGAPI-revoked" not in (outcome.error_message or "")
    assert data_rows(db_path) == {**dict.fromkeys(DATA_TABLES, 0), "players": 3}


@pytest.mark.parametrize("args", [["--db", "", "jobs", "list"], ["analyze", "--db", " "]])
def test_an_empty_database_option_is_named(tmp_path: Path, args: list[str]) -> None:
    """An empty --db (the working folder, to DuckDB) is one line naming the option."""
    result = CliRunner().invoke(cli, args, env={"SMURF_DB": str(tmp_path / "x.duckdb")})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: The database is empty text: give --db")
    assert not (tmp_path / "x.duckdb").exists()


def test_a_run_on_the_real_api_without_a_key_fails_before_any_request(db_path: Path) -> None:
    """Without a key, a job addressed to the real Riot API ends FAILED naming the key at
    once (as `track` and the scheduler refuse), not after its requests failed one by one."""
    track(db_path, ["p1"])
    settings = Settings(db_path=db_path, riot_api_key=None)
    outcome = run_job(JobContext(settings), "TRACKED_PLAYER_UPDATER")
    assert outcome.status is JobStatus.FAILED
    assert (outcome.error_message or "").startswith("AuthenticationError: RIOT_API_KEY is not set")
    assert outcome.metrics["api_requests_made"] == 0


def test_a_run_whose_requests_all_went_unanswered_fails(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Every request to an address where nothing listens fails (each player's failure is
    skipped): the run ends FAILED saying no request succeeded, not SUCCESS; against the
    simulator the same run succeeds."""
    track(db_path, [t["puuid"] for t in sim.truth()[:2]])
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    nowhere = Settings(
        db_path=db_path, riot_api_key=TEST_KEY, riot_api_base=f"http://127.0.0.1:{port}/{{route}}"
    )
    outcome = run_job(JobContext(nowhere, timeout_s=1.0), "TRACKED_PLAYER_UPDATER")
    assert outcome.status is JobStatus.FAILED
    message = outcome.error_message or ""
    assert message.startswith("No Riot API request succeeded (")
    assert "transport_error" in message and f"127.0.0.1:{port}" in message
    assert outcome.metrics["api_requests_made"] > 0
    answered = run_job(job_context(db_path, sim), "TRACKED_PLAYER_UPDATER")
    assert answered.status is JobStatus.SUCCESS


def gone_marks(db_path: Path) -> dict[str, int]:
    """What says an account or match is gone: profiles not found, ban-check 404s, matches
    given up on."""
    return {
        "profile_not_found": count(db_path, "SELECT count(*) FROM players WHERE NOT profile_found"),
        "ban_check_404": count(
            db_path, "SELECT count(*) FROM account_checks WHERE NOT account_found"
        ),
        "matches_rejected": count(db_path, "SELECT count(*) FROM rejected_matches"),
    }


def test_a_wrong_path_in_the_api_base_marks_nothing_gone(
    db_path: Path, sim: RunningSimulator
) -> None:
    """RIOT_API_BASE with an extra path segment: every request answers 404, which read as
    every account and match gone (real players stored as profile not found, runs SUCCESS).
    Each job's run now ends FAILED naming RIOT_API_BASE, and nothing is marked gone."""
    players = [t["puuid"] for t in sim.truth()[:2]]
    track(db_path, players)
    assert run_job(job_context(db_path, sim), "TRACKED_PLAYER_UPDATER").status is JobStatus.SUCCESS
    with Database(db_path).write() as con:
        con.execute(
            "INSERT INTO smurf_scores (puuid, scored_at, model_version, smurf_score,"
            " boosted_score, label, games_analyzed, matches_stored)"
            " VALUES (?, now()::TIMESTAMP, 'test', 0.9, 0.1, 'SMURF', 20, 20)",
            [players[0]],
        )
        # Stale profiles: due for the refresher.
        con.execute("UPDATE players SET summoner_checked_at = TIMESTAMP '2000-01-01'")
    set_job_config(db_path, "PROFILE_REFRESHER", min_matches_required=1)
    before = gone_marks(db_path)
    typo = Settings(
        db_path=db_path,
        riot_api_key=TEST_KEY,
        riot_api_base=sim.base_url.replace("{route}", "oops/{route}"),
    )
    jobs = ("PROFILE_REFRESHER", "MATCH_FETCHER", "BAN_CHECKER", "TRACKED_PLAYER_UPDATER")
    for job in jobs:
        outcome = run_job(JobContext(typo), job)
        message = outcome.error_message or ""
        assert outcome.status is JobStatus.FAILED, (job, message)
        assert message.startswith("Every Riot API request was answered 404 Not Found"), job
        assert "RIOT_API_BASE" in message and "/oops/" in message
        assert outcome.metrics["api_requests_made"] > 0
    assert gone_marks(db_path) == before == {k: 0 for k in before}
    for job in jobs:  # the world's rate limit may end one early: that is no failure
        answered = run_job(job_context(db_path, sim), job).status
        assert answered in (JobStatus.SUCCESS, JobStatus.RATE_LIMITED), job


def test_a_run_stops_when_the_api_keeps_failing(db_path: Path) -> None:
    """Every request answered 5xx: a run went through one player after another until its
    timeout (178 failed requests in 2 minutes). It now stops after a run of calls failing in
    a row, FAILED saying so, with the other players left for the next run."""
    # A world of its own: the module's may have spent its rate limit on earlier tests.
    with serve_in_thread(replace(WORLD, fault_rate=1.0)) as failing:
        track(db_path, [t["puuid"] for t in failing.truth()[:8]])
        context = job_context(db_path, failing, failed_calls_before_stopping=3)
        outcome = run_job(context, "TRACKED_PLAYER_UPDATER")
    message = outcome.error_message or ""
    assert outcome.status is JobStatus.FAILED
    assert "RiotUnavailableError: 3 Riot API calls in a row failed" in message
    assert "RIOT_API_BASE" in message
    # 3 calls of 4 attempts each, and any in flight beside them; the 8 players would
    # have cost 8 x 2 x 4 = 64 requests at least.
    assert outcome.metrics["api_requests_made"] <= 16


def test_a_run_whose_answers_were_all_unreadable_fails(db_path: Path) -> None:
    """RIOT_API_BASE pointing at a web server that answers 200 with a page, not JSON: every
    player's update fails and nothing is stored, so the run ends FAILED saying so (it ended
    SUCCESS with no error, the 200s counted as answers)."""
    unreadable = SimulatorConfig(seed=41, players=60, history_days=14, malformed_rate=1.0)
    with serve_in_thread(unreadable) as html:
        track(db_path, [t["puuid"] for t in html.truth()[:2]])
        settings = Settings(db_path=db_path, riot_api_key=TEST_KEY, riot_api_base=html.base_url)
        outcome = run_job(JobContext(settings, timeout_s=5.0), "TRACKED_PLAYER_UPDATER")
    assert outcome.status is JobStatus.FAILED
    message = outcome.error_message or ""
    assert message.startswith("No Riot API request succeeded (")
    assert "malformed_body" in message and "is it the Riot API" in message
    assert outcome.metrics["api_requests_made"] > 0


# ---- import-matches ---------------------------------------------------------------------
def test_import_rejects_corrupted_match_files_and_keeps_the_good_ones(
    db_path: Path, tmp_path: Path
) -> None:
    """Truncated, non-JSON and wrongly shaped files are listed with a reason; good ones load."""
    folder = tmp_path / "matches"
    folder.mkdir()
    good = sorted((FIXTURES_DIR / "matches").glob("*.json"))[0]
    payload = json.loads(good.read_text())
    (folder / "good.json").write_text(good.read_text())
    (folder / "truncated.json").write_text(good.read_text()[: len(good.read_text()) // 2])
    (folder / "binary.json").write_bytes(b"\x00\xff\xfe garbage")
    (folder / "empty.json").write_text("")
    (folder / "shape.json").write_text(json.dumps({"metadata": {"matchId": "EUW1_1"}}))
    broken = json.loads(json.dumps(payload))
    broken["metadata"]["matchId"] = "EUW1_999"
    broken["info"]["participants"] = "everyone"
    (folder / "participants.json").write_text(json.dumps(broken))

    result = smurf(db_path, "import-matches", str(folder))
    assert result.exit_code == 1, result.output  # files were rejected: a script must see it
    assert "Rejected 5 file(s)" in result.output
    for name in ("truncated", "binary", "empty", "shape", "participants"):
        assert f"{name}.json" in result.output
    assert count(db_path, "SELECT count(*) FROM matches") == 1
    assert (
        count(db_path, "SELECT count(*) FROM matches WHERE match_id IN ('EUW1_1', 'EUW1_999')") == 0
    )
    assert count(db_path, "SELECT count(*) FROM match_participants") == len(
        payload["info"]["participants"]
    )


# ---- schema versions --------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ("jobs", "list"),
        ("jobs", "status"),
        ("run", "SMURF_ANALYZER"),
        ("scheduler", "--api-port", "0", "--duration-s", "1"),
        ("sql", "select 1"),
        ("db", "migrate"),
        ("import-matches", str(FIXTURES_DIR / "matches")),
        ("report", "-n", "03-job-monitor"),
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_database_from_a_newer_release_is_refused_clearly(
    db_path: Path, args: tuple[str, ...]
) -> None:
    """Commands refuse a database migrated by a newer release, saying what to do."""
    with Database(db_path).write() as con:
        con.execute("INSERT INTO schema_migrations VALUES (999, 'from_the_future', now())")
    result = smurf(db_path, *args)
    assert result.exit_code == 1, result.output
    assert "schema version 999" in result.stderr
    assert "upgrade smurf-workbench" in result.stderr
    assert count(db_path, "SELECT count(*) FROM job_executions") == 0
    assert count(db_path, "SELECT count(*) FROM matches") == 0


# ---- report parameters ------------------------------------------------------------------
@pytest.mark.slow
def test_report_parameter_carrying_sql_is_data_and_fails_clearly(
    db_path: Path, tmp_path: Path
) -> None:
    """`smurf report -p label="x'; DROP TABLE players; --"` fails on the label; players stay."""
    track(db_path, ["p" * 78, "q" * 78])
    out = tmp_path / "reports"
    result = smurf(db_path, "report", "-p", "label=x'; DROP TABLE players; --", "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "The parameter 'label' takes SMURF, BOOSTED" in result.stderr
    assert count(db_path, "SELECT count(*) FROM players") == 2


# ---- bounds for every setting, one line for every refusal ---------------------------------
@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("timeout_seconds=NaN", "timeout_seconds"),
        ("timeout_seconds=Infinity", "timeout_seconds"),
        ("timeout_seconds=1e308", "timeout_seconds"),
        ("timeout_seconds=-1", "timeout_seconds"),
        ("schedule=interval(seconds=0.001)", "at least"),
        ("schedule=interval(days=100000000)", "at most"),
        ("schedule=interval(seconds=1e308)", "at most"),
        ("schedule=interval(seconds=nan)", "interval"),
    ],
)
def test_jobs_set_bounds_every_value(db_path: Path, assignment: str, message: str) -> None:
    """Values beyond a setting's bounds (NaN, infinity, absurdly short or long intervals) are
    refused in one line, and the configuration stays as it was."""
    before = config_row(db_path, "TRACKED_PLAYER_UPDATER")
    result = smurf(db_path, "jobs", "set", str(before[0]), assignment)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert config_row(db_path, "TRACKED_PLAYER_UPDATER") == before


@pytest.mark.parametrize(
    ("name", "text", "args"),
    [
        ("passwd", "root:x:0:0:root:/root:/bin/bash\n" * 50, ("sql", "select 1")),
        # DuckDB reads these by their names as files to query, and failed later.
        ("match.json", '{"metadata": {}}', ("db", "migrate")),
        ("players.csv", "puuid,tier\n", ("tracked",)),
        ("short.duckdb", "short", ("tracked",)),
    ],
    ids=["text", "json", "csv", "short"],
)
def test_a_file_that_is_not_a_database_is_one_line(
    tmp_path: Path, name: str, text: str, args: tuple[str, ...]
) -> None:
    """--db naming a file that is no DuckDB database says so in one line, and the file
    is left as it was."""
    not_a_db = tmp_path / name
    not_a_db.write_text(text)
    result = smurf(not_a_db, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "not a DuckDB database" in result.stderr
    assert not_a_db.read_text() == text


@pytest.mark.parametrize(
    "args",
    [("analyze",), ("db", "rebuild-aggregates"), ("sql", "--write", "select 1")],
    ids=["analyze", "rebuild-aggregates", "sql-write"],
)
def test_writing_commands_do_not_create_a_missing_database(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """A command that writes to the database names a missing one and how to create it, and
    leaves no empty file behind (only `smurf db migrate` creates a database)."""
    missing = tmp_path / "nope.duckdb"
    result = smurf(missing, *args)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: The database {missing} does not exist: run `smurf db migrate` to create it."
    )
    assert not missing.exists()


@pytest.mark.parametrize("args", [("jobs", "list"), ("sql", "select 1"), ("analyze",)])
def test_a_database_in_a_missing_folder_is_named_as_a_likely_typo(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """A database whose folder is missing too is not met with "run smurf db migrate",
    which would refuse it: the message names the missing folder, as migrate's does."""
    missing = tmp_path / "no-such-folder" / "x.duckdb"
    result = smurf(missing, *args)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: The database {missing} does not exist, nor does its folder {missing.parent}."
        f" Check --db / SMURF_DB for a typo, or create the folder first (mkdir -p"
        f" {missing.parent}) and run `smurf db migrate`."
    )
    assert not missing.parent.exists()
    # A data/ folder in a folder that exists (a fresh clone's) is one migrate creates.
    fresh = tmp_path / "data" / "smurf.duckdb"
    result = smurf(fresh, *args)
    assert result.stderr.strip() == (
        f"Error: The database {fresh} does not exist: run `smurf db migrate` to create it."
    )


@pytest.mark.parametrize(
    "args",
    [
        ("sql", "select 1"),
        ("explain", "x"),
        ("evaluate",),
        ("evaluate", "--db", "{folder}"),
        ("report",),
        ("analyze",),
        ("db", "migrate"),
        ("jobs", "list"),
        ("demo", "--db", "{folder}", "--no-report"),
    ],
    ids=lambda args: " ".join(args),
)
def test_a_folder_named_as_the_database_says_so(tmp_path: Path, args: tuple[str, ...]) -> None:
    """--db naming a folder: every command says it is a folder, in one line (not DuckDB's
    IO error, nor that the database does not exist)."""
    folder = tmp_path / "data"
    folder.mkdir()
    result = smurf(folder, *(arg.format(folder=folder) for arg in args))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {folder} is a directory, not a database file: give the path of a .duckdb "
        "file instead."
    )


def test_a_folder_given_to_the_store_or_a_report_says_so(db_path: Path, tmp_path: Path) -> None:
    """The store's connections and a report's db_path parameter refuse a folder the same
    way, before DuckDB or a kernel meets it."""
    from pipeline.store import read, write
    from pipeline.store.errors import DatabaseIsDirectoryError

    for connect in (read, write):
        with pytest.raises(DatabaseIsDirectoryError, match="is a directory"), connect(tmp_path):
            pass
    result = smurf(db_path, "report", "-p", f"db_path={tmp_path}")
    assert result.exit_code == 1
    assert f"{tmp_path} is a directory, not a database file" in result.stderr


def test_a_database_in_a_missing_folder_is_refused_but_data_is_made(tmp_path: Path) -> None:
    """A mistyped folder in --db is refused before anything is created (a new, empty
    database where nobody looks would hide the typo); the default's ``data/`` folder, which a
    fresh clone lacks, is still made."""
    typo = tmp_path / "dta" / "smurf.duckdb"
    result = smurf(typo, "db", "migrate")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {typo} cannot be created: its folder {typo.parent} does not exist. Check "
        f"--db / SMURF_DB for a typo, or create the folder first (mkdir -p {typo.parent})."
    )
    assert not typo.parent.exists()
    default = tmp_path / "data" / "smurf.duckdb"
    assert smurf(default, "db", "migrate").exit_code == 0
    assert default.is_file()
    too_deep = tmp_path / "missing" / "data" / "smurf.duckdb"
    assert smurf(too_deep, "db", "migrate").exit_code == 1
    assert not too_deep.parent.parent.exists()


def test_the_demo_names_the_database_given_when_its_folder_is_missing(tmp_path: Path) -> None:
    """`smurf demo --db` in a missing folder names that path, not the file it prepares."""
    typo = tmp_path / "dta" / "d.duckdb"
    result = smurf(tmp_path / "unused.duckdb", "demo", "--db", str(typo), "--no-report")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {typo} cannot be created: its folder {typo.parent} does not exist. Check "
        f"--db / SMURF_DB for a typo, or create the folder first (mkdir -p {typo.parent})."
    )
    assert not typo.parent.exists()


def test_a_system_refusal_is_one_line_without_the_errno(db_path: Path, tmp_path: Path) -> None:
    """What the operating system refuses (here: an output folder under a plain file) is
    one line saying why and where, without Python's errno prefix."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    result = smurf(db_path, "report", "--out", str(blocker / "reports"))
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith(f"Error: The report folder {blocker / 'reports'} cannot be made")
    assert "(Not a directory)" in line
    assert len(line.splitlines()) == 1 and "Errno" not in line


def test_importing_a_device_or_a_huge_file_is_a_rejection(db_path: Path, tmp_path: Path) -> None:
    """/dev/zero and a file past the size bound are rejected with why; good files load."""
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(70 * 1024 * 1024)  # sparse: large on paper, cheap on disk
    good = FIXTURES_DIR / "matches" / "NA1_1000000001.json"
    result = smurf(db_path, "import-matches", "/dev/zero", str(huge), str(good))
    assert result.exit_code == 1, result.output
    assert "not a regular file" in result.output
    assert "larger than" in result.output
    assert count(db_path, "SELECT count(*) FROM matches") == 1


def test_an_import_reads_each_file_once_and_fails_when_none_is_a_match(
    db_path: Path, tmp_path: Path
) -> None:
    """A file named twice (or also inside a folder named) is read once, and the counts say
    how many files were read and rejected; when no file holds a match, the command fails."""
    good = FIXTURES_DIR / "matches" / "NA1_1000000001.json"
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(good, folder / "good.json")
    (folder / "notes.json").write_text("not json")
    twice = smurf(db_path, "import-matches", str(folder), str(folder / "good.json"), str(good))
    assert twice.exit_code == 1, twice.output  # notes.json was rejected
    # good.json and its original hold one match: the second read finds it stored.
    assert twice.stdout.startswith(
        "Read 3 file(s), 1 without a match: 1 match(es) (1 already stored),"
    )
    readme = tmp_path / "README.md"
    readme.write_text("# not a match\n")
    refused = smurf(db_path, "import-matches", str(readme))
    assert refused.exit_code == 1
    assert "Read 1 file(s), 1 without a match: 0 match(es)" in refused.stdout
    assert "No file held a match" in refused.stderr
    # A folder with no .json file in it: nothing to import is a failure too.
    (tmp_path / "nothing").mkdir()
    nothing = smurf(db_path, "import-matches", str(tmp_path / "nothing"))
    assert nothing.exit_code == 1 and "No .json file was found" in nothing.stderr
    # A re-import reads matches it already holds: no failure, no match new.
    again = smurf(db_path, "import-matches", str(good))
    assert again.exit_code == 0
    assert "0 without a match: 0 match(es) (1 already stored)," in again.stdout


def test_an_array_names_each_element_it_rejects(db_path: Path, tmp_path: Path) -> None:
    """A file holding a JSON array of matches: each element rejected is named by its place,
    the good ones load, and the heading counts both the lines and the files."""
    good = json.loads((FIXTURES_DIR / "matches" / "NA1_1000000001.json").read_text())
    (tmp_path / "array.json").write_text(json.dumps([1, good, 2, 3]))
    (tmp_path / "notes.json").write_text("not json")
    result = smurf(db_path, "import-matches", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert "Rejected 4 entries, in 2 file(s):" in result.stdout
    assert "Error: Rejected 4 entries, in 2 file(s), each listed" in result.stderr
    for number in (1, 3, 4):
        assert f"array.json: element {number} of 4: Match <unknown id> is malformed" in (
            result.stdout
        )
    assert count(db_path, "SELECT count(*) FROM matches") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "-p", "top_n=-5"], "top_n"),
        (["report", "-n", "03-job-monitor", "-p", "days=-9999"], "days"),
    ],
)
def test_report_parameters_out_of_their_bounds_are_refused(
    db_path: Path, args: list[str], message: str
) -> None:
    """A report parameter beyond the bounds its notebook declares is refused before any kernel."""
    result = smurf(db_path, *args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and "between" in result.stderr


def test_a_huge_argument_is_not_echoed_whole(db_path: Path) -> None:
    """Refusing a 100,000-character argument quotes a short part of it."""
    result = smurf(db_path, "track", "x" * 100_000)
    assert result.exit_code == 1
    assert len(result.stderr) < 400


@pytest.mark.parametrize("job", ["١", "1_0", "+1", "1e0"])
def test_job_ids_are_plain_digits(db_path: Path, job: str) -> None:
    """Only ASCII digits name a job id: other scripts' digits or underscores match nothing."""
    result = smurf(db_path, "run", job)
    assert result.exit_code == 1
    assert "No job matches" in result.stderr
    assert count(db_path, "SELECT count(*) FROM job_executions") == 0


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e308"])
def test_the_lock_timeout_is_bounded(db_path: Path, value: str) -> None:
    """SMURF_LOCK_TIMEOUT_S outside 0..3600 s is one clear line."""
    result = CliRunner().invoke(
        cli, ["--db", str(db_path), "db", "current"], env={"SMURF_LOCK_TIMEOUT_S": value}
    )
    assert result.exit_code == 1
    assert "SMURF_LOCK_TIMEOUT_S" in result.stderr or "lock timeout" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("SMURF_PLATFORM", "mars", "platform"),
        ("SMURF_LOCK_TIMEOUT_S", "abc", "SMURF_LOCK_TIMEOUT_S"),
        ("SMURF_DB", "ducklake:foo", "lake URL"),
    ],
)
def test_a_bad_setting_stops_commands_but_not_their_help(name: str, value: str, said: str) -> None:
    """An unusable setting in the environment is one clear line from any command that needs
    the settings, while every command's --help still shows (how else to learn the fix)."""
    env = {name: value}
    for args in (["--help"], ["analyze", "--help"], ["jobs", "status", "--help"]):
        shown = CliRunner().invoke(cli, args, env=env, prog_name="smurf")
        assert shown.exit_code == 0, args
        assert shown.output.startswith("Usage: smurf"), args
    for command in (["tracked"], ["lab", "--no-browser"]):
        result = CliRunner().invoke(cli, command, env=env)
        assert result.exit_code == 1, command
        assert result.stderr.startswith("Error: ") and said in result.stderr, command
        assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("base", "said"),
    [
        ("http://127.0.0.1:99999/{route}", "the port 99999 is not between 1 and 65535"),
        ("http://127.0.0.1:abc/{route}", "Invalid port"),
        ("http://[::1/{route}", "Invalid port"),
        ("ftp://127.0.0.1/{route}", "http:// or https://"),
        ("http:///{route}", "no host"),
    ],
)
def test_an_unusable_riot_api_base_is_one_line_before_any_request(
    db_path: Path, base: str, said: str
) -> None:
    """A RIOT_API_BASE the HTTP client cannot request (a bad port, a broken address, another
    scheme) is one line naming it, from every command that builds the client."""
    env = {"RIOT_API_BASE": base, "RIOT_API_KEY": TEST_KEY}
    for args in (["track", "Somebody#EUW"], ["run", "TRACKED_PLAYER_UPDATER"]):
        result = CliRunner().invoke(cli, ["--db", str(db_path), *args], env=env)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("Error: RIOT_API_BASE is not a usable URL"), args
        assert said in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
        assert "Traceback" not in result.output
    assert count(db_path, "SELECT count(*) FROM job_executions") == 0
    with pytest.raises(RiotAPIError, match="not a usable URL"):
        RiotClient(TEST_KEY, base)


def test_tracking_on_the_real_api_without_a_key_says_so_before_any_request(
    db_path: Path,
) -> None:
    """Without RIOT_API_KEY and with the real API's address, `track` names the missing key
    (and the simulator as the keyless way) instead of failing on the network."""
    result = CliRunner().invoke(
        cli,
        ["--db", str(db_path), "track", "Somebody#EUW"],
        env={"RIOT_API_KEY": None, "RIOT_API_BASE": None},
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: RIOT_API_KEY is not set")
    assert "smurf simulator serve" in result.stderr
    assert count(db_path, "SELECT count(*) FROM players") == 0


@pytest.mark.parametrize(
    "args",
    [
        ("sql", "--time-limit-s", "nan", "select 1"),
        ("demo", "--minutes", "nan"),
        ("scheduler", "--sync-interval-s", "nan"),
        ("scheduler", "--duration-s", "nan"),
        ("scheduler", "--shutdown-grace-s", "nan"),
        ("simulator", "serve", "--clock-speed", "nan"),
        ("simulator", "serve", "--clock-speed", "inf"),
        ("simulator", "serve", "--latency-ms", "0", "nan"),
        ("simulator", "serve", "--ban-share", "nan"),
    ],
    ids=" ".join,
)
def test_nan_and_infinity_are_refused_where_a_number_is_asked(
    db_path: Path, args: tuple[str, ...]
) -> None:
    """A range's bounds let nan through (no comparison with it is true): `--time-limit-s
    nan` turned the limit off, `--minutes nan` ran on. Refused as usage, naming the option."""
    result = smurf(db_path, *args)
    assert result.exit_code == 2, result.output
    assert "is not a finite number" in result.stderr
    option = next(word for word in reversed(args) if word.startswith("--"))
    assert f"Invalid value for '{option}'" in result.stderr


def test_a_simulated_share_above_one_is_a_usage_error(db_path: Path) -> None:
    """`--fault-rate 2` is refused as usage (exit 2), as every misused option is."""
    result = smurf(db_path, "simulator", "serve", "--fault-rate", "2")
    assert result.exit_code == 2, result.output
    assert "--fault-rate" in result.stderr and "0<=x<=1" in result.stderr


def test_a_run_that_fails_here_fails_the_command_whichever_way_it_was_asked(
    db_path: Path,
) -> None:
    """With no scheduler, `jobs trigger` runs the job in this process as `run` does: a
    FAILED run exits 1 from either (trigger said FAILED and exited 0)."""
    set_raw_config(db_path, "SMURF_ANALYZER", "config_json", '{"min_matches_required": -1}')
    for command in (("run",), ("jobs", "trigger")):
        result = smurf(db_path, *command, "SMURF_ANALYZER")
        assert result.exit_code == 1, (command, result.output)
        assert "FAILED" in result.output and "min_matches_required" in result.output
