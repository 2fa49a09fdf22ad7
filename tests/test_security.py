"""Secret hygiene and the monitoring API's exposure.

Every job, a report, the CLI and the API run with a recognisable key against a simulator
that requires it; then the logs, every text column of every table, the database file, the
report files, the API's answers and exception messages are searched for the key.
"""

from __future__ import annotations

import asyncio
import io
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner

from pipeline.api import create_api
from pipeline.cli import cli
from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.jobs import JobContext, JobScheduler, JobStatus
from pipeline.log import configure_logging
from pipeline.riot import RiotAPIError, RiotClient
from pipeline.scheduler_process import serve_scheduler
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database, migrate
from pipeline.store.job_records import utcnow
from tests.sim_helpers import count, job_context, run_job, set_job_config, track

CANARY = "RGAPI-CANARY-5ec7e7a1-0000-4bad-beef-c0ffee000001"
NEEDLES = (CANARY, CANARY.lower(), "CANARY-5ec7e7a1", "5ec7e7a1-0000-4bad")
INJECTION = "x'; DROP TABLE players; --"
JOBS = ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER", "SMURF_ANALYZER", "BAN_CHECKER")


def hits(text: str) -> int:
    """How many times any form of the key appears in ``text``."""
    return sum(text.count(needle) for needle in NEEDLES)


@dataclass
class Haystacks:
    """Everything produced while the key was in use, by where it came from."""

    logs: io.StringIO = field(default_factory=io.StringIO)
    outputs: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    db_path: Path = Path()
    report_dir: Path = Path()


def exception_texts(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), "".join(traceback.format_exception(exc))])


def flag_a_banned_player(db_path: Path, sim: RunningSimulator) -> None:
    banned = next(t for t in sim.truth() if t["is_banned"])
    with Database(db_path).write() as con:
        con.execute(
            "INSERT INTO players (puuid, platform, game_name, tag_line) VALUES (?, 'euw1', ?, ?)"
            " ON CONFLICT DO NOTHING",
            [banned["puuid"], banned["game_name"], banned["tag_line"]],
        )
        con.execute(
            "INSERT INTO smurf_scores (puuid, scored_at, model_version, smurf_score,"
            " boosted_score, label, games_analyzed, matches_stored)"
            " VALUES (?, ?, 'test', 0.9, 0.1, 'SMURF', 20, 20)",
            [banned["puuid"], utcnow()],
        )


def run_everything(tmp: Path, sim: RunningSimulator, hay: Haystacks) -> None:
    """Jobs, a report, a faulty run, client errors, the API and CLI commands, all with the key."""
    hay.db_path = tmp / "smurf.duckdb"
    hay.report_dir = tmp / "reports"
    migrate(hay.db_path)
    truth = sim.truth()
    track(hay.db_path, [t["puuid"] for t in truth if not t["is_banned"]][:2])
    set_job_config(hay.db_path, "MATCH_FETCHER", key_share_percent=0, discovered_players_per_run=5)
    set_job_config(hay.db_path, "SMURF_ANALYZER", min_matches_required=1)
    set_job_config(
        hay.db_path,
        "NOTEBOOK_REPORT",
        parameters={"platform": "EUW1", "min_games": 1},
        output_dir=str(hay.report_dir),
    )
    configure_logging(secrets=[CANARY], json_lines=True, level="debug", stream=hay.logs)
    context = job_context(hay.db_path, sim, api_key=CANARY, timeout_s=2.0)
    for job in (*JOBS, "NOTEBOOK_REPORT"):
        if job == "BAN_CHECKER":  # after the analyzer, so this score is the latest
            flag_a_banned_player(hay.db_path, sim)
        outcome = run_job(context, job)
        hay.statuses[job] = outcome.status.value
        hay.outputs[f"outcome {job}"] = repr(outcome)
    sim.set_faults(fault_rate=0.5, malformed_rate=0.2)
    try:
        faulty = run_job(context, "TRACKED_PLAYER_UPDATER")
    finally:
        sim.set_faults(fault_rate=0.0, malformed_rate=0.0)
    hay.outputs["faulty run"] = repr(faulty)
    hay.outputs["client errors"] = asyncio.run(client_errors(sim))
    hay.outputs["api"] = asyncio.run(api_answers(context))
    cli_outputs(sim, hay)


async def client_errors(sim: RunningSimulator) -> str:
    """Messages of the errors a client holding the key meets (wrong route, unknown data)."""
    texts = []
    async with RiotClient(CANARY, sim.base_url, max_retries=0) as client:
        texts.append(repr(client))
        for call in (
            client.get_account_by_riot_id("Nobody Here", "ZZZZ", platform="euw1"),
            client.get_summoner_by_puuid("not-a-puuid", platform="euw1"),
            client.get_match("EUW1_1"),
        ):
            try:
                await call
            except RiotAPIError as exc:
                texts.append(exception_texts(exc))
    async with RiotClient(CANARY, "http://127.0.0.1:9/{route}", max_retries=0) as client:
        try:
            await client.get_match("EUW1_1")
        except RiotAPIError as exc:
            texts.append(exception_texts(exc))
    return "\n".join(texts)


async def api_answers(context: JobContext) -> str:
    """Every GET endpoint of the monitoring API, for every job and execution."""
    scheduler = JobScheduler(context, sync_interval_s=60)
    await scheduler.start()
    bodies = []
    try:
        transport = httpx.ASGITransport(app=create_api(scheduler))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            jobs = (await client.get("/api/v1/jobs")).json()["jobs"]
            bodies.append((await client.get("/api/v1/jobs/status/overview")).text)
            for job in jobs:
                page = await client.get(f"/api/v1/jobs/{job['id']}/executions?limit=500")
                bodies.append(page.text)
                for execution in page.json()["executions"]:
                    one = await client.get(f"/api/v1/jobs/executions/{execution['id']}")
                    assert one.status_code == 200
                    bodies.append(one.text)
    finally:
        await scheduler.stop()
    return "\n".join(bodies)


def cli_outputs(sim: RunningSimulator, hay: Haystacks) -> None:
    """Commands run with the key in the environment, errors and --debug tracebacks included."""
    env = {"RIOT_API_KEY": CANARY, "RIOT_API_BASE": sim.base_url}
    commands = [
        ["run", "TRACKED_PLAYER_UPDATER"],
        ["track", "Nobody Here#ZZZZ"],
        ["--debug", "track", "Nobody Here#ZZZZ"],
        ["jobs", "status"],
        ["jobs", "executions", "1", "--limit", "100"],
        ["jobs", "logs", "1"],
        ["sql", "select * from job_executions"],
    ]
    for args in commands:
        result = CliRunner().invoke(cli, ["--db", str(hay.db_path), "--log-json", *args], env=env)
        text = result.stdout + result.stderr
        if result.exception is not None:
            text += exception_texts(result.exception)
        hay.outputs["smurf " + " ".join(args)] = text


@pytest.fixture(scope="module")
def haystacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Haystacks]:
    config = SimulatorConfig(seed=52, players=60, history_days=14, api_key=CANARY)
    hay = Haystacks()
    with (
        serve_in_thread(config) as sim,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("RIOT_API_KEY", CANARY)  # what a report kernel would inherit
        run_everything(tmp_path_factory.mktemp("security"), sim, hay)
    yield hay


@pytest.mark.slow
def test_every_job_and_the_report_ran_with_the_key(haystacks: Haystacks) -> None:
    """The scan covers real work: each job and the report succeeded with the key."""
    assert haystacks.statuses == dict.fromkeys((*JOBS, "NOTEBOOK_REPORT"), "SUCCESS")
    assert count(haystacks.db_path, "SELECT count(*) FROM matches") > 0
    assert count(haystacks.db_path, "SELECT count(*) FROM account_checks") > 0


def test_report_parameters_carrying_sql_never_reach_a_kernel(
    haystacks: Haystacks, tmp_path: Path
) -> None:
    """A report parameter the notebook puts into SQL (platform) is checked against the
    platforms before any kernel starts: one carrying SQL is refused, nothing is written, and
    the players table is still there; the job's report ran with its platform in any case."""
    out = tmp_path / "refused"
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            str(haystacks.db_path),
            "report",
            "--out",
            str(out),
            "-p",
            f"platform={INJECTION}",
        ],
    )
    assert result.exit_code == 1
    assert "euw1" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir())
    assert count(haystacks.db_path, "SELECT count(*) FROM players") > 0
    reports = list(haystacks.report_dir.glob("*.ipynb"))
    assert len(reports) == 1
    injected = reports[0].read_text()
    assert 'platform = \\"euw1\\"' in injected  # EUW1 reached the notebook as euw1


def test_no_log_line_holds_the_key(haystacks: Haystacks) -> None:
    """Structured logs of every run, at debug level, never show the key."""
    text = haystacks.logs.getvalue()
    assert "job.finished" in text and "riot.retry" in text  # errors were logged too
    assert hits(text) == 0


def test_no_table_holds_the_key(haystacks: Haystacks) -> None:
    """No text or JSON column of any table, and no byte of the database file, holds the key."""
    with Database(haystacks.db_path).read() as con:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE data_type IN ('VARCHAR', 'JSON') ORDER BY ALL"
        ).fetchall()
        found = {
            f"{table}.{column}": con.execute(
                f'SELECT count(*) FROM "{table}" WHERE contains(lower("{column}"::VARCHAR), ?)',
                ["canary-5ec7e7a1"],
            ).fetchone()
            for table, column in columns
        }
    assert len(found) > 20
    assert {name: n for name, n in found.items() if n and n[0]} == {}
    for path in haystacks.db_path.parent.glob(haystacks.db_path.name + "*"):
        assert CANARY.encode() not in path.read_bytes()


def test_no_report_file_holds_the_key(haystacks: Haystacks) -> None:
    """The executed notebook and its HTML never show the key."""
    files = list(haystacks.report_dir.iterdir())
    assert {f.suffix for f in files} >= {".ipynb", ".html"}
    assert {f.name: hits(f.read_text(errors="replace")) for f in files} == {
        f.name: 0 for f in files
    }


def test_no_output_api_answer_or_exception_holds_the_key(haystacks: Haystacks) -> None:
    """CLI output, --debug tracebacks, API answers and error messages never show the key."""
    assert "Traceback" in haystacks.outputs["smurf --debug track Nobody Here#ZZZZ"]
    assert "executions" in haystacks.outputs["api"]
    assert {name: hits(text) for name, text in haystacks.outputs.items()} == dict.fromkeys(
        haystacks.outputs, 0
    )


@pytest.mark.parametrize(
    ("key", "base"),
    [
        (CANARY, f"http://{CANARY}@127.0.0.1:1/{{route}}"),
        (None, f"http://smurf:{CANARY}@127.0.0.1:1/{{route}}"),
    ],
    ids=["key-in-base", "password-in-base"],
)
def test_an_unreachable_base_url_is_named_without_the_key_or_password(
    tmp_path: Path, key: str | None, base: str
) -> None:
    """A run whose requests all fail names RIOT_API_BASE in its error: the key written into
    it, or the URL's password, shows as *** in the output, the execution's error and its
    log lines."""
    db = tmp_path / "x.duckdb"
    migrate(db)
    track(db, ["a-tracked-player"])
    env = {"RIOT_API_BASE": base, **({"RIOT_API_KEY": key} if key else {})}
    outputs = []
    for args in (["run", "TRACKED_PLAYER_UPDATER"], ["jobs", "logs"], ["jobs", "status"]):
        result = CliRunner().invoke(cli, ["--db", str(db), "--log-json", *args], env=env)
        outputs.append(result.stdout + result.stderr)
    assert "is RIOT_API_BASE (http://***@127.0.0.1:1/{route}) reachable" in outputs[0]
    with Database(db).read() as con:
        row = con.execute("SELECT error_message FROM job_executions").fetchone()
    assert row is not None and "(http://***@127.0.0.1:1/{route})" in row[0]
    assert [hits(text) for text in [*outputs, row[0]]] == [0, 0, 0, 0]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["report", "-p", f"label={CANARY}"], "Parameter 'label' holds the Riot API key"),
        (
            ["report", "-n", "02-player-explorer", "-p", f"player={CANARY}"],
            "Parameter 'player' holds the Riot API key",
        ),
        (["jobs", "set", "MATCH_FETCHER", f"suspects_per_run={CANARY}"], "would hold the"),
        (["jobs", "set", "NOTEBOOK_REPORT", f"output_dir=/tmp/x-{CANARY}"], "would hold the"),
        (["jobs", "set", "BAN_CHECKER", f"schedule={CANARY}"], "would hold the"),
        (["jobs", "set", "BAN_CHECKER", f"{CANARY}=5"], "would hold the"),
        # A usage error, which click prints itself, repeats what was typed too.
        (["jobs", "set", "BAN_CHECKER", CANARY], "Expected key=value, got '***'"),
    ],
)
def test_the_key_typed_as_a_value_is_refused_and_never_repeated(
    db_path: Path, tmp_path: Path, args: list[str], said: str
) -> None:
    """The key pasted where a value goes is refused before it is kept (a report's notebook
    and page, job settings shown by `jobs list`), and the error does not repeat it: the
    product's error lines repeated what was typed, the key included."""
    env = {"RIOT_API_KEY": f"{CANARY} "}  # pasted with a space, which settings strip
    out = ["--out", str(tmp_path / "reports")] if args[0] == "report" else []
    result = CliRunner().invoke(cli, ["--db", str(db_path), *args, *out], env=env)
    assert result.exit_code != 0
    assert said in result.output
    assert hits(result.output) == 0
    assert not (tmp_path / "reports").exists()
    with Database(db_path).read() as con:
        configs = con.execute("SELECT schedule, config_json FROM job_configurations").fetchall()
    assert hits(repr(configs)) == 0


def test_an_error_line_never_repeats_the_key(db_path: Path) -> None:
    """Whatever a message quotes of what was typed (here a Riot ID), the key in it is shown
    as ***; another text is quoted as it was."""

    def track(riot_id: str) -> str:
        env = {"RIOT_API_KEY": CANARY}
        return CliRunner().invoke(cli, ["--db", str(db_path), "track", riot_id], env=env).output

    assert "Error: '***' is not a Riot ID" in track(CANARY)
    assert "Error: 'not-the-key-at-all' is not a Riot ID" in track("not-the-key-at-all")


# ---- exposure of the monitoring API -------------------------------------------------------
def test_scheduler_api_listens_on_loopback_by_default() -> None:
    """`smurf scheduler` binds its API to 127.0.0.1 unless told otherwise."""
    from pipeline.scheduler_process import scheduler as scheduler_command

    host = next(p for p in scheduler_command.params if p.name == "api_host")
    assert host.default == "127.0.0.1"


def test_binding_beyond_loopback_without_a_token_is_refused(db_path: Path) -> None:
    """Listening on all interfaces without a token stops before the scheduler starts."""
    context = JobContext(Settings(db_path=db_path))
    with pytest.raises(ConfigError, match="api-token"):
        asyncio.run(
            serve_scheduler(context, api_host="0.0.0.0", api_port=0, api_token=None, duration_s=0)
        )
    assert count(db_path, "SELECT count(*) FROM job_executions") == 0


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer wrong-token", 401),
        ("bearer s3cret-token", 401),
        ("s3cret-token", 401),
        ("Bearer s3cret-token", 202),
    ],
)
def test_trigger_needs_the_token_when_one_is_set(
    db_path: Path, authorization: str | None, status: int
) -> None:
    """POST /trigger answers 401 unless the exact bearer token is sent; reads stay open."""
    with Database(db_path).write() as con:
        con.execute("UPDATE job_configurations SET is_active = job_type = 'SMURF_ANALYZER'")
        row = con.execute(
            "SELECT id FROM job_configurations WHERE job_type = 'SMURF_ANALYZER'"
        ).fetchone()
    assert row is not None
    job_id = int(row[0])

    async def post() -> tuple[int, int, Any]:
        scheduler = JobScheduler(JobContext(Settings(db_path=db_path)), sync_interval_s=60)
        await scheduler.start()
        try:
            app = create_api(scheduler, token="s3cret-token")
            headers = {"Authorization": authorization} if authorization else {}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1"
            ) as client:
                answer = await client.post(f"/api/v1/jobs/{job_id}/trigger", headers=headers)
                listing = await client.get("/api/v1/jobs")
            if scheduler.running:
                await asyncio.gather(*scheduler.running.values())
            return answer.status_code, listing.status_code, answer.json()
        finally:
            await scheduler.stop()

    answered, listed, body = asyncio.run(post())
    assert (answered, listed) == (status, 200)
    executions = count(db_path, "SELECT count(*) FROM job_executions")
    if status == 202:
        assert executions == 1 and body["execution_id"] >= 1
        assert (
            count(
                db_path,
                "SELECT count(*) FROM job_executions WHERE status = ?",
                [JobStatus.SUCCESS.value],
            )
            == 1
        )
    else:
        assert executions == 0
        # No token: what to send; a token that is not this one: that it is wrong.
        wrong = "The bearer token is not this scheduler's (see --api-token)."
        assert (body["error"] == wrong) == (authorization is not None)
        assert authorization is not None or "Authorization: Bearer <token>" in body["error"]


def _api_calls(
    db_path: Path, token: str | None, calls: list[tuple[str, str, str, dict[str, str]]]
) -> list[int]:
    """(method, base URL, path, headers) requests against the API of a started scheduler."""
    with Database(db_path).write() as con:
        con.execute("UPDATE job_configurations SET is_active = job_type = 'SMURF_ANALYZER'")

    async def ask() -> list[int]:
        scheduler = JobScheduler(JobContext(Settings(db_path=db_path)), sync_interval_s=60)
        await scheduler.start()
        try:
            transport = httpx.ASGITransport(app=create_api(scheduler, token=token))
            statuses = []
            for method, base_url, path, headers in calls:
                async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
                    response = await client.request(method, path, headers=headers)
                    statuses.append(response.status_code)
                    if response.status_code >= 400:
                        assert response.json()["error"]
                if scheduler.running:
                    await asyncio.gather(*scheduler.running.values())
            return statuses
        finally:
            await scheduler.stop()

    return asyncio.run(ask())


LOOPBACK = "http://127.0.0.1:8700"
TRIGGER = "/api/v1/jobs/3/trigger"


def test_a_web_page_cannot_trigger_jobs_through_a_browser(db_path: Path) -> None:
    """Without a token, requests naming another Host (DNS rebinding) or sent from another
    Origin (a cross-site form) are refused; the operator's own loopback requests pass."""
    statuses = _api_calls(
        db_path,
        None,
        [
            ("POST", "http://evil.example", TRIGGER, {}),
            ("GET", "http://evil.example:8700", "/api/v1/jobs", {}),
            ("POST", LOOPBACK, TRIGGER, {"Origin": "http://evil.example"}),
            ("POST", LOOPBACK, TRIGGER, {"Origin": "null"}),
            ("POST", LOOPBACK, TRIGGER, {"Origin": "http://127.0.0.1:8700"}),
            ("GET", "http://localhost:8700", "/api/v1/jobs", {}),
            ("GET", "http://[::1]:8700", "/api/v1/jobs", {}),
        ],
    )
    assert statuses == [403, 403, 403, 403, 202, 200, 200]
    assert count(db_path, "SELECT count(*) FROM job_executions") == 1


def test_any_other_host_needs_the_token(db_path: Path) -> None:
    """With a token, a request naming a non-loopback Host passes only with the token."""
    bearer = {"Authorization": "Bearer s3cret-token"}
    statuses = _api_calls(
        db_path,
        "s3cret-token",
        [
            ("GET", "http://scheduler.lan:8700", "/api/v1/jobs", {}),
            ("GET", "http://scheduler.lan:8700", "/api/v1/jobs", bearer),
            ("POST", "http://scheduler.lan:8700", TRIGGER, bearer),
        ],
    )
    assert statuses == [401, 200, 202]


@pytest.mark.parametrize("written", [" 1 ", "١", "1_0", "+1", "01_"])
def test_api_ids_are_plain_digits(db_path: Path, written: str) -> None:
    """An id with spaces, an underscore, a sign or another script's digits names no job or
    execution: the API answers 404 and starts nothing, as it does for an unknown id."""
    with Database(db_path).write() as con:
        con.execute(
            "INSERT INTO job_executions (id, job_config_id, job_type, status, correlation_id)"
            " VALUES (1, 1, 'TRACKED_PLAYER_UPDATER', 'SUCCESS', 'c1')"
        )
    path_id = quote(written, safe="")
    statuses = _api_calls(
        db_path,
        None,
        [
            ("POST", LOOPBACK, f"/api/v1/jobs/{path_id}/trigger", {}),
            ("GET", LOOPBACK, f"/api/v1/jobs/{path_id}/executions", {}),
            ("GET", LOOPBACK, f"/api/v1/jobs/executions/{path_id}", {}),
            ("GET", LOOPBACK, "/api/v1/jobs/1/executions", {}),
            ("GET", LOOPBACK, "/api/v1/jobs/executions/1", {}),
        ],
    )
    assert statuses == [404, 404, 404, 200, 200]
    assert count(db_path, "SELECT count(*) FROM job_executions") == 1
