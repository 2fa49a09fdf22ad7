"""The job commands end to end on a temporary database, against the simulator."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from pipeline.cli import cli
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database
from pipeline.store import job_records as records
from tests.sim_helpers import TEST_KEY, add_execution, count, set_job_config

WORLD = SimulatorConfig(seed=3, players=150, app_limit="300:1,5000:120")


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


def smurf(db_path: Path, sim: RunningSimulator, *args: str) -> Result:
    env = {"RIOT_API_KEY": TEST_KEY, "RIOT_API_BASE": sim.base_url, "SMURF_DB": str(db_path)}
    return CliRunner().invoke(cli, ["--log-json", *args], env=env, catch_exceptions=False)


def test_track_resolves_a_riot_id_and_untrack_stops_tracking(
    db_path: Path, sim: RunningSimulator
) -> None:
    """`smurf track Name#TAG` stores a tracked player; `smurf untrack` clears the flag."""
    player = next(t for t in sim.truth() if not t["is_banned"])
    riot_id = f"{player['game_name']}#{player['tag_line']}"
    tracked = smurf(db_path, sim, "track", riot_id.upper(), "--platform", "euw1")
    assert tracked.exit_code == 0, tracked.output
    assert player["puuid"] in tracked.output and tracked.output.startswith("Tracking ")
    again = smurf(db_path, sim, "track", riot_id, "--platform", "euw1")
    assert again.exit_code == 0, again.output
    assert again.output.startswith("Already tracking ") and player["puuid"] in again.output
    # A platform where the account does not play League is refused, naming the right one
    # (it was accepted, and its profile stored as "not found" there).
    wrong = CliRunner().invoke(
        cli,
        ["--log-json", "track", riot_id, "--platform", "eun1"],
        env={"RIOT_API_KEY": TEST_KEY, "RIOT_API_BASE": sim.base_url, "SMURF_DB": str(db_path)},
    )
    assert wrong.exit_code == 1
    assert "plays League on euw1, not eun1" in wrong.output
    assert "--platform euw1" in wrong.output
    assert count(db_path, "SELECT count(*) FROM players WHERE platform = 'eun1'") == 0
    # A player stored on another platform (its account moved since) moves when tracked
    # again, and is told so; left out, --platform is where the account plays.
    with Database(db_path).write() as con:
        con.execute("UPDATE players SET platform = 'eun1' WHERE puuid = ?", [player["puuid"]])
    moved = smurf(db_path, sim, "track", riot_id)
    assert moved.exit_code == 0, moved.output
    assert "on euw1" in moved.output and "moved from eun1" in moved.output
    assert (
        count(
            db_path,
            "SELECT count(*) FROM players WHERE is_tracked AND puuid = ?",
            [player["puuid"]],
        )
        == 1
    )
    listed = smurf(db_path, sim, "tracked")
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith(riot_id) and player["puuid"] in listed.output
    untracked = smurf(db_path, sim, "untrack", player["puuid"])
    assert untracked.exit_code == 0, untracked.output
    assert count(db_path, "SELECT count(*) FROM players WHERE is_tracked") == 0
    assert "No player is tracked" in smurf(db_path, sim, "tracked").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["track", "NoTagHere"], "is not a Riot ID"),
        (["track", "Somebody#EUW", "--platform", "mars1"], "Unknown platform"),
        (["track", "Nobody Here#ZZZ"], "has no data"),
        (["untrack", "not-a-tracked-puuid"], "No tracked player"),
        (["run", "NOT_A_JOB"], "No job matches"),
        (["jobs", "set", "2", "matches_per_player_per_run=-5"], "between 1 and 100"),
        (["jobs", "set", "2", "matches_per_player_per_run=lots"], "whole number"),
        (["jobs", "set", "2", "schedule=whenever"], "Unrecognised schedule"),
        (["jobs", "executions", "99"], "No job matches '99'"),
        (["jobs", "set", "MATCH_FETCHR", "suspects_per_run=5"], "No job matches"),
        (["jobs", "logs", "12345"], "no execution 12345: `smurf jobs executions JOB` lists"),
        (["--platform", "mars", "jobs", "status"], "The platform must be one of"),
        (["analyze", "--min-matches", "-1"], "'--min-matches': -1 is not in the range"),
        (["sql", "--write", "--time-limit-s", "5", "select 1"], "bounds read-only queries"),
    ],
)
def test_bad_input_is_one_clear_line(
    db_path: Path, sim: RunningSimulator, args: list[str], message: str
) -> None:
    """Each mistake exits 1 with a one-line message saying what is wrong, no traceback."""
    result = smurf(db_path, sim, *args)
    assert result.exit_code != 0
    assert message.lower() in result.output.lower()
    assert "Traceback" not in result.output


def test_a_rate_limited_run_says_the_jobs_next_run_goes_on(
    db_path: Path, sim: RunningSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """A RATE_LIMITED run's message says why it stopped, and the command beside it says what
    comes next, true of a scheduled run and of one run from the command line alike: not
    "try again later" (the scheduler's next run resumes by itself)."""
    from pipeline.jobs.base import ExecutionOutcome
    from pipeline.jobs.cli import _print_outcome
    from pipeline.jobs.types import JobStatus

    message = (
        "Rate limited during fetch player matches: The application rate limit (every method;"
        " next: match-v5.getMatch) needs a wait of 7.7 s, more than the 2.0 s allowed."
    )
    next_run = "Not a failure: what the run fetched is committed, and the job's next run goes on"
    _print_outcome(ExecutionOutcome(7, JobStatus.RATE_LIMITED, {}, message, 2.5), "MATCH_FETCHER")
    said = capsys.readouterr().out
    assert f"  {message}\n" in said and next_run in said
    _print_outcome(ExecutionOutcome(8, JobStatus.FAILED, {}, "boom", 2.5), "MATCH_FETCHER")
    assert "next run" not in capsys.readouterr().out
    limited = add_execution(db_path, 2, pid=None, status="RATE_LIMITED")
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_executions SET error_message = ?, finished_at = now()::TIMESTAMP"
            " WHERE id = ?",
            [message, limited],
        )
    logs = smurf(db_path, sim, "jobs", "logs", str(limited))
    assert logs.exit_code == 0, logs.output
    assert message in logs.output and next_run in logs.output


def test_run_on_some_platforms_works_on_their_players_only(
    db_path: Path, sim: RunningSimulator
) -> None:
    """`smurf run --platforms` narrows a platform job to those platforms' players, as the
    scheduler's option does (it had none: only SMURF_PLATFORMS did), and says a bad list."""
    player = sim.truth()[0]
    assert (
        smurf(db_path, sim, "track", f"{player['game_name']}#{player['tag_line']}").exit_code == 0
    )
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=3)
    elsewhere = smurf(db_path, sim, "run", "TRACKED_PLAYER_UPDATER", "--platforms", "KR,jp1")
    assert elsewhere.exit_code == 0, elsewhere.output
    assert count(db_path, "SELECT count(*) FROM matches") == 0
    here = smurf(db_path, sim, "run", "TRACKED_PLAYER_UPDATER", "--platforms", "euw1")
    assert here.exit_code == 0, here.output
    assert count(db_path, "SELECT count(*) FROM matches") == 3
    with Database(db_path).read() as con:
        shards = [
            r[0] for r in con.execute("SELECT shard FROM job_executions ORDER BY id").fetchall()
        ]
    assert shards == ["jp1,kr", "euw1"]
    bad = smurf(db_path, sim, "run", "TRACKED_PLAYER_UPDATER", "--platforms", "mars1")
    assert bad.exit_code == 1 and "Platforms must be a comma-separated list" in bad.output
    assert "Traceback" not in bad.output


def test_run_list_status_executions_logs_and_settings(db_path: Path, sim: RunningSimulator) -> None:
    """A foreground run is visible through jobs list/status/executions/logs; set/enable work."""
    player = sim.truth()[0]
    assert (
        smurf(db_path, sim, "track", f"{player['game_name']}#{player['tag_line']}").exit_code == 0
    )
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=3)
    ran = smurf(db_path, sim, "run", "TRACKED_PLAYER_UPDATER")
    assert ran.exit_code == 0, ran.output
    assert "SUCCESS" in ran.output
    assert count(db_path, "SELECT count(*) FROM matches") == 3

    listed = smurf(db_path, sim, "jobs", "list")
    assert all(t in listed.output for t in ("TRACKED_PLAYER_UPDATER", "BAN_CHECKER"))
    status = smurf(db_path, sim, "jobs", "status")
    assert "NOT_RUNNING" in status.output and "SUCCESS" in status.output
    assert "has ended" not in status.output
    # A run whose process was killed (kill -9) is still recorded RUNNING: status says its
    # process has ended, not just RUNNING beside a scheduler that is not running.
    dead_pid = 2**22 + 12345
    orphan = add_execution(db_path, 4, pid=dead_pid)
    status = smurf(db_path, sim, "jobs", "status")
    assert (
        f"execution {orphan} is recorded RUNNING, but its process (pid {dead_pid}) has ended"
        in (status.output)
    )
    # The executions list says so too (it listed the run RUNNING and nothing more).
    listed_runs = smurf(db_path, sim, "jobs", "executions", "4")
    assert listed_runs.exit_code == 0, listed_runs.output
    assert (
        f"execution {orphan} is recorded RUNNING, but its process (pid {dead_pid}) has ended"
        in listed_runs.output
    )
    with Database(db_path).write() as con:
        records.close_executions(con, [orphan], "test cleanup")
    # A job by id or by type, as `run` and `jobs trigger` take it.
    history = smurf(
        db_path, sim, "jobs", "executions", "TRACKED_PLAYER_UPDATER", "--status", "SUCCESS"
    )
    assert "SUCCESS" in history.output
    # Which process ran it, and on which platforms ("*": every one).
    header, row = history.output.splitlines()[:2]
    assert header.split()[-3:] == ["shard", "pid", "error"]
    assert row.split()[-2:] == ["*", str(os.getpid())]  # no error: nothing, not None/NaN
    assert max(len(line.rstrip()) for line in history.output.splitlines()) <= 132
    none = smurf(db_path, sim, "jobs", "executions", "1", "--status", "pending")
    assert none.output == "No PENDING executions of job 1 (TRACKED_PLAYER_UPDATER).\n"
    logs = smurf(db_path, sim, "jobs", "logs", "1")
    assert "job.finished" in logs.output and TEST_KEY not in logs.output
    lines = logs.output.splitlines()[1:]
    assert len(lines) > 2
    newest = smurf(db_path, sim, "jobs", "logs", "1", "--lines", "2").output.splitlines()
    assert newest[1] == f"(the newest 2 of {len(lines)} lines; --lines shows more)"
    assert newest[2:] == lines[-2:]
    helped = smurf(db_path, sim, "jobs", "executions", "--help").output
    assert "[PENDING|RUNNING|SUCCESS|FAILED|RATE_LIMITED]" in helped
    # A status mistyped is refused listing the statuses as help and the records write them.
    wrong = smurf(db_path, sim, "jobs", "executions", "1", "--status", "DONE")
    assert wrong.exit_code == 2
    assert (
        "'DONE' is not one of 'PENDING', 'RUNNING', 'SUCCESS', 'FAILED', 'RATE_LIMITED'."
        in wrong.output
    )

    changed = smurf(
        db_path,
        sim,
        "jobs",
        "set",
        "tracked_player_updater",
        "max_new_matches_per_player=7",
        "schedule=interval(minutes=3)",
    )
    assert changed.exit_code == 0, changed.output
    assert changed.output.startswith("Job 1 (TRACKED_PLAYER_UPDATER) updated:")
    listed = smurf(db_path, sim, "jobs", "list").output
    assert '"max_new_matches_per_player": 7' in listed and "interval(minutes=3)" in listed
    assert "disabled" in smurf(db_path, sim, "jobs", "disable", "TRACKED_PLAYER_UPDATER").output
    refused = smurf(db_path, sim, "run", "1")
    assert refused.exit_code == 1 and "is disabled" in refused.output
    assert "enabled" in smurf(db_path, sim, "jobs", "enable", "1").output
    triggered = smurf(db_path, sim, "jobs", "trigger", "SMURF_ANALYZER")
    assert triggered.exit_code == 0 and "SUCCESS" in triggered.output


def test_a_type_with_several_jobs_asks_for_an_id(db_path: Path, sim: RunningSimulator) -> None:
    """A job type configured twice names two jobs: set, enable, disable and executions ask
    for one id (listing them) instead of picking one."""
    with Database(db_path).write() as con:
        con.execute(
            "INSERT INTO job_configurations (job_type, name, schedule, config_json)"
            " SELECT job_type, name || ' (second)', schedule, config_json"
            " FROM job_configurations WHERE job_type = 'NOTEBOOK_REPORT'"
        )
        ids = [
            r[0]
            for r in con.execute(
                "SELECT id FROM job_configurations WHERE job_type = 'NOTEBOOK_REPORT' ORDER BY id"
            ).fetchall()
        ]
    for args in (["jobs", "disable", "notebook_report"], ["jobs", "executions", "NOTEBOOK_REPORT"]):
        result = smurf(db_path, sim, *args)
        assert result.exit_code == 1
        assert f"names 2 jobs (ids {ids[0]}, {ids[1]})" in result.output
    assert "disabled" in smurf(db_path, sim, "jobs", "disable", str(ids[1])).output


def test_run_takes_every_job_of_a_type_naming_each(db_path: Path, sim: RunningSimulator) -> None:
    """`run` and `jobs trigger` with a type run each of its jobs, each outcome and each
    refusal naming its job; a refused job (the first here) does not stop the others."""
    with Database(db_path).write() as con:
        second = con.execute(
            "INSERT INTO job_configurations (job_type, name, schedule, config_json)"
            " SELECT job_type, 'second', schedule, config_json FROM job_configurations"
            " WHERE job_type = 'SMURF_ANALYZER' RETURNING id"
        ).fetchone()
        first = con.execute(
            "SELECT min(id) FROM job_configurations WHERE job_type = 'SMURF_ANALYZER'"
        ).fetchone()
    assert second is not None and first is not None
    assert "disabled" in smurf(db_path, sim, "jobs", "disable", str(first[0])).output
    for command in (["run"], ["jobs", "trigger"]):
        result = smurf(db_path, sim, *command, "SMURF_ANALYZER")
        assert result.exit_code == 1, result.output  # one of them could not run
        assert f"Error: Job {first[0]} (" in result.output
        assert f"is disabled: `smurf jobs enable {first[0]}` first" in result.output
        assert f"SMURF_ANALYZER (job {second[0]}) execution" in result.output
        assert "SUCCESS" in result.output


def test_an_execution_not_begun_shows_blanks_not_none_or_nan() -> None:
    """A run the API queued (no process, no shard yet, no error) shows empty cells, and a
    long error is cut to one line's worth."""
    from datetime import datetime

    import pandas as pd

    from pipeline.jobs.cli import ERROR_SHOWN_CHARS, _executions_for_terminal

    started = datetime(2026, 12, 1, 12, 0, 0, 123456)
    frame = pd.DataFrame(
        {
            "id": [2, 1],
            "status": ["PENDING", "FAILED"],
            "trigger": ["API", "SCHEDULE"],
            "started_at": [None, started],
            "finished_at": [None, started],
            "api_requests_made": [0, 3],
            "records_created": [0, 1437],
            "records_updated": [None, 12_500],
            "shard": [None, "*"],
            "host_pid": [None, 4321.0],
            "error_message": [None, "x" * 200],
        }
    )
    shown = _executions_for_terminal(frame)
    pending, failed = shown.iloc[0], shown.iloc[1]
    assert (pending["shard"], pending["pid"], pending["error"], pending["started"]) == (
        "",
        "",
        "",
        "",
    )
    assert failed["pid"] == "4321" and failed["started"] == "2026-12-01 12:00:00"
    # Counts read with thousands separators; none recorded is blank.
    assert (failed["created"], failed["updated"], pending["updated"]) == ("1,437", "12,500", "")
    assert len(failed["error"]) == ERROR_SHOWN_CHARS and failed["error"].endswith("…")
    assert "None" not in shown.to_string() and "NaN" not in shown.to_string()


def test_tracked_players_line_up_whatever_their_script(db_path: Path) -> None:
    """Wide (CJK) characters take two terminal columns: the platform column still starts
    at the same column on every line."""
    import unicodedata

    def display_width(text: str) -> int:
        return sum(1 + (unicodedata.east_asian_width(c) == "W") for c in text)

    with Database(db_path).write() as con:
        for puuid, name in (("p1", "夜猫85"), ("p2", "Plain Name"), ("p3", "한국어이름이다")):
            con.execute(
                "INSERT INTO players (puuid, game_name, tag_line, platform, is_tracked,"
                " tracked_at) VALUES (?, ?, 'LEY', 'euw1', true, now()::TIMESTAMP)",
                [puuid, name],
            )
    listed = CliRunner().invoke(cli, ["--db", str(db_path), "tracked"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == 3
    columns = {display_width(line[: line.index(" euw1 ")]) for line in lines}
    assert len(columns) == 1


def test_progress_is_drawn_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal a run's progress is one line rewritten in place; where stderr is a file
    or a pipe (JSON log lines, a cron job's log) nothing is drawn between the log lines."""
    from pipeline.jobs.cli import _progress_printer

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _progress_printer("MATCH_FETCHER") is None
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    show = _progress_printer("MATCH_FETCHER")
    show("players", {"done": 1, "total": 2})
    show("players", {"done": 2, "total": 2})
    assert terminal.getvalue() == "\rMATCH_FETCHER: players 1/2   \rMATCH_FETCHER: players 2/2   \n"
    # JSON log lines on a terminal: no progress line between them either.
    with click.Context(click.Command("smurf"), obj=None) as root:
        root.params["log_json"] = True
        assert _progress_printer("MATCH_FETCHER") is None


# ---- smurf track with several Riot IDs ---------------------------------------------------
def riot_ids_of(sim: RunningSimulator, n: int) -> list[tuple[str, str]]:
    """(Riot ID, puuid) of ``n`` players of the simulated world who are not banned."""
    players = [t for t in sim.truth() if not t["is_banned"]][:n]
    assert len(players) == n
    return [(f"{p['game_name']}#{p['tag_line']}", p["puuid"]) for p in players]


def tracked_puuids(db_path: Path) -> set[str]:
    with Database(db_path).read() as con:
        rows = con.execute("SELECT puuid FROM players WHERE is_tracked").fetchall()
    return {row[0] for row in rows}


def test_track_takes_several_riot_ids_in_one_call(db_path: Path, sim: RunningSimulator) -> None:
    """`smurf track A B C` tracks each, one line apiece as one ID gets, then one summary."""
    players = riot_ids_of(sim, 3)
    result = smurf(db_path, sim, "track", *(riot_id for riot_id, _ in players))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 4, result.output
    for line, (_, puuid) in zip(lines, players, strict=False):
        assert line.startswith("Tracking ") and puuid in line
    assert lines[-1] == "Tracked 3 of 3 players."
    assert result.stderr == ""
    assert tracked_puuids(db_path) == {puuid for _, puuid in players}


def test_track_keeps_the_good_ids_when_some_are_bad(db_path: Path, sim: RunningSimulator) -> None:
    """An unknown and a malformed Riot ID among good ones: the good ones are tracked, each
    failure is named with its reason, the malformed one costs no request, and the exit
    status is 1 (a script must see that some were left out)."""
    (first, first_puuid), (second, second_puuid) = riot_ids_of(sim, 2)
    before = sim.stats()["requests"]
    result = smurf(db_path, sim, "track", first, "Nobody Here#ZZZ", "NoTagHere", second)
    assert result.exit_code == 1, result.output
    assert tracked_puuids(db_path) == {first_puuid, second_puuid}
    assert [line.startswith("Tracking ") for line in result.stdout.splitlines()] == [True, True]
    # Two requests (account, then where it plays) for each good ID, one for the unknown one.
    assert sim.stats()["requests"] - before == 2 * 2 + 1
    # Each failure with the reason one ID alone would give, then the summary.
    assert "'NoTagHere' is not a Riot ID: write it as Name#TAG" in result.stderr
    assert "Nobody Here#ZZZ" in result.stderr and "check the id and the platform" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "Error: Tracked 2 of 4 players; 2 failed: NoTagHere (not a Riot ID: Name#TAG), "
        "Nobody Here#ZZZ (not found)."
    )
    assert "Traceback" not in result.output


def test_track_reads_riot_ids_from_a_file_or_stdin(
    db_path: Path, sim: RunningSimulator, tmp_path: Path
) -> None:
    """--from-file takes one Riot ID a line, skipping blank lines and # comments, beside the
    IDs given as arguments; `-` reads them from stdin."""
    (first, first_puuid), (second, second_puuid), (third, third_puuid) = riot_ids_of(sim, 3)
    listed = tmp_path / "players.txt"
    listed.write_text(f"# seeded players\n\n{first}\n   \n  # {third} left out\n{second}\n")
    result = smurf(db_path, sim, "track", "--from-file", str(listed))
    assert result.exit_code == 0, result.output
    assert tracked_puuids(db_path) == {first_puuid, second_puuid}
    assert result.stdout.splitlines()[-1] == "Tracked 2 of 2 players."
    env = {"RIOT_API_KEY": TEST_KEY, "RIOT_API_BASE": sim.base_url, "SMURF_DB": str(db_path)}
    piped = CliRunner().invoke(
        cli, ["track", third, "--from-file", "-"], input=f"{first}\n", env=env
    )
    assert piped.exit_code == 0, piped.output
    assert tracked_puuids(db_path) == {first_puuid, second_puuid, third_puuid}
    assert piped.stdout.startswith("Tracking ") and "Already tracking " in piped.stdout
    assert piped.stdout.splitlines()[-1] == "Tracked 2 of 2 players (1 already tracked)."
    # Nothing to track is a usage error, before the database or the API is asked.
    empty = tmp_path / "empty.txt"
    empty.write_text("# nobody yet\n\n")
    for args in (["track"], ["track", "--from-file", str(empty)]):
        refused = CliRunner().invoke(cli, args, env=env)
        assert refused.exit_code == 2, refused.output
        assert "No Riot ID given" in refused.stderr


def test_track_tracks_a_repeated_riot_id_once(db_path: Path, sim: RunningSimulator) -> None:
    """The same Riot ID given twice (in any case) is resolved and tracked once."""
    [(riot_id, puuid)] = riot_ids_of(sim, 1)
    before = sim.stats()["requests"]
    result = smurf(db_path, sim, "track", riot_id, riot_id.upper(), riot_id)
    assert result.exit_code == 0, result.output
    assert sim.stats()["requests"] - before == 2
    assert [line for line in result.stdout.splitlines() if puuid in line] == [
        result.stdout.splitlines()[0]
    ]
    assert result.stdout.splitlines()[-1] == "Tracked 1 of 1 player (2 repeated IDs left out)."
    assert tracked_puuids(db_path) == {puuid}


def test_track_platform_applies_to_every_riot_id(db_path: Path, sim: RunningSimulator) -> None:
    """--platform holds for each ID: where the accounts do not play League, each is refused
    with the platform to use, and nothing is tracked."""
    players = riot_ids_of(sim, 2)
    result = smurf(db_path, sim, "track", *(r for r, _ in players), "--platform", "eun1")
    assert result.exit_code == 1, result.output
    assert result.stderr.count("plays League on euw1, not eun1") == 2
    assert result.stderr.splitlines()[-1].startswith("Error: Tracked 0 of 2 players; 2 failed:")
    assert tracked_puuids(db_path) == set()


def test_ctrl_c_while_tracking_several_keeps_those_tracked(
    db_path: Path, sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C in the middle of a list keeps the players already tracked, says how many,
    and exits 130."""
    from pipeline.riot import RiotClient

    players = riot_ids_of(sim, 3)
    asked = RiotClient.get_account_by_riot_id
    calls = 0

    async def interrupted_at_the_third(self: RiotClient, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return await asked(self, *args, **kwargs)

    monkeypatch.setattr(RiotClient, "get_account_by_riot_id", interrupted_at_the_third)
    result = smurf(db_path, sim, "track", *(riot_id for riot_id, _ in players))
    assert result.exit_code == 130, result.output
    assert "Stopped by Ctrl-C: Tracked 2 of 3 players; 1 not tried." in result.stderr
    assert tracked_puuids(db_path) == {puuid for _, puuid in players[:2]}
