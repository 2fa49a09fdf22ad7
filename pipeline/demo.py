"""``smurf demo``: the whole product on this machine in a few minutes, no Riot key needed.

The recipe::

    fresh database -> simulator on a free loopback port -> track a handful of players
    -> the real scheduler with short intervals under real rate limits (live status)
    -> a final scoring pass and the simulator's ground truth -> the report notebook
    -> a summary: top suspects and why, detection quality, where the files are

Ctrl-C at any point leaves nothing half-made: while the fresh database is prepared (beside
the old one, which it replaces only once it is ready) the previous demo database stays as it
was; while the world is built nothing has been crawled; during the crawl the scheduler stops
gracefully (running jobs commit and record) and the summary shows what was gathered; during
the report no half-written notebook is left, and the summary is still printed.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pipeline.analysis.model import factor_phrase
from pipeline.config import DEFAULT_LOCK_TIMEOUT_S, DEMO_DB_PATH, Settings
from pipeline.errors import ConfigError
from pipeline.jobs import JobContext, run_in_process
from pipeline.scheduler_client import delete_database_file
from pipeline.scheduler_process import serve_scheduler
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.simulator.world import DEFAULT_NOW, weeks_to_reach
from pipeline.store import Database, migrate
from pipeline.store import job_records as records
from pipeline.store.location import make_database_folder
from pipeline.store.overview import data_counts
from pipeline.store.players import track_player
from pipeline.words import counted

if TYPE_CHECKING:
    import pandas as pd

DEMO_REPORTS = Path("data/reports")
TRACKED_PLAYERS = 6
# Limits that bind within a few minutes, so rate-limited runs appear and are recovered from.
DEMO_APP_LIMIT = "20:1,250:30"
DEMO_MAX_WAIT_S = 2.0
# Simulated seconds per real second: about two days of play pass during a 3-minute demo.
DEMO_CLOCK_SPEED = 900.0
DEMO_SCHEDULES = {
    "TRACKED_PLAYER_UPDATER": "interval(seconds=10)",
    "MATCH_FETCHER": "interval(seconds=4)",
    "PROFILE_REFRESHER": "interval(seconds=6)",
    "SMURF_ANALYZER": "interval(seconds=15)",
    "BAN_CHECKER": "interval(seconds=20)",
}
DEMO_CONFIGS: dict[str, dict[str, Any]] = {
    "TRACKED_PLAYER_UPDATER": {"max_new_matches_per_player": 20},
    "MATCH_FETCHER": {
        "discovered_players_per_run": 15,
        "matches_per_player_per_run": 15,
        "target_matches_per_player": 30,
    },
    "PROFILE_REFRESHER": {"max_profiles_per_run": 60, "min_matches_required": 5},
    "SMURF_ANALYZER": {"min_matches_required": 5},
    "BAN_CHECKER": {"ban_check_days": 0, "max_checks_per_run": 10},
}


@dataclass(frozen=True)
class DemoOptions:
    world_size: int = 2000
    minutes: float = 3.0
    seed: int = 42
    keep: bool = False
    db_path: Path = DEMO_DB_PATH
    reports_dir: Path = DEMO_REPORTS
    status_every_s: float = 5.0
    run_report: bool = True
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S


@dataclass
class DemoResult:
    db_path: Path
    interrupted: bool = False
    html_report: Path | None = None
    executed_report: Path | None = None
    summary: dict[str, Any] = field(default_factory=dict)


def run_demo(options: DemoOptions, out: TextIO = sys.stdout) -> DemoResult:
    """Run the demo start to end; returns where everything is."""
    say = _printer(out)
    result = DemoResult(options.db_path)
    try:
        prepare_database(options, say)
    except KeyboardInterrupt:
        result.interrupted = True
        say(
            "Interrupted while migrating the kept database: each finished migration is "
            "committed, and `smurf db migrate` goes on from there."
            if options.keep
            else "Interrupted while preparing the database: the previous one is as it was."
        )
        return result
    config = demo_config(options, records.utcnow())
    world = counted(options.world_size, "player", "players")
    say(f"Building a simulated world of {world} (seed {options.seed}{_clock_note(config)})...")
    try:
        serve_and_crawl(config, options, result, say)
    except KeyboardInterrupt:
        if not result.interrupted:  # else a second Ctrl-C while the simulator stopped
            result.interrupted = True
            say("Interrupted while building the simulated world: nothing was crawled.")
            return result
    if options.run_report and not result.interrupted:
        say("Running the report notebook (papermill)...")
        try:
            produce_report(options, result)
        except KeyboardInterrupt:
            result.interrupted = True
            say(
                "Interrupted: no report was written. The data is all in the database: "
                f"`smurf --db {options.db_path} report` makes the report."
            )
    result.summary = summarise(Database(options.db_path, options.lock_timeout_s))
    print_summary(result, say)
    return result


def demo_config(options: DemoOptions, now: datetime) -> SimulatorConfig:
    """The demo's simulator: its world moved on by whole weeks so that by the end of the
    scheduler's run (``DEMO_CLOCK_SPEED`` simulated seconds a second) its clock is within a
    week before ``now``, the real clock the jobs judge it by: a world left at DEFAULT_NOW
    would look ever older (its players INACTIVE once it is 30 days ago)."""
    return SimulatorConfig(
        seed=options.seed,
        players=options.world_size,
        app_limit=DEMO_APP_LIMIT,
        clock_speed=DEMO_CLOCK_SPEED,
        clock_shift_weeks=weeks_to_reach(now, options.minutes * 60 * DEMO_CLOCK_SPEED),
    )


def _clock_note(config: SimulatorConfig) -> str:
    if not config.clock_shift_weeks:
        return ""
    at = DEFAULT_NOW + timedelta(weeks=config.clock_shift_weeks)
    return f", its clock {counted(config.clock_shift_weeks, 'week', 'weeks')} on: {at:%Y-%m-%d}"


def rate_limits_in_words(limits: str) -> str:
    """A Riot rate-limit header value ("20:1,250:30": requests per seconds) in words."""
    parts = []
    for pair in limits.split(","):
        requests, seconds = pair.split(":")
        window = "a second" if seconds == "1" else f"every {seconds} s"
        parts.append(f"{requests} requests {window}")
    return "rate limits " + ", ".join(parts)


def serve_and_crawl(
    config: SimulatorConfig, options: DemoOptions, result: DemoResult, say: Callable[[str], None]
) -> None:
    """Serve the world, crawl it with the scheduler, score and store the ground truth; a
    Ctrl-C once the world is served stops the crawl and keeps what it committed."""
    with serve_in_thread(config) as sim:
        say(f"Simulated Riot API on {sim.url} ({rate_limits_in_words(DEMO_APP_LIMIT)}).")
        settings = Settings(
            db_path=options.db_path,
            riot_api_base=sim.base_url,
            riot_api_key="RGAPI-demo-simulator-key",
            lock_timeout_s=options.lock_timeout_s,
        )
        context = JobContext(settings, max_wait_s=DEMO_MAX_WAIT_S)
        try:
            track_players(context, sim, say)
            if asyncio.run(run_scheduler(context, sim, options, say)) == "signal":
                raise KeyboardInterrupt
            say("Scoring every player one last time...")
            asyncio.run(run_in_process(context, "SMURF_ANALYZER"))
            write_ground_truth(context.db, sim)
        except KeyboardInterrupt:
            result.interrupted = True
            say("Interrupted: the database is consistent; stopping the simulator.")
            keep_ground_truth(context.db, sim, say)


def keep_ground_truth(db: Database, sim: RunningSimulator, say: Callable[[str], None]) -> None:
    """After a Ctrl-C, store the world's ground truth all the same: the world is still in
    memory, and without it `smurf evaluate` cannot measure what the crawl committed."""
    try:
        write_ground_truth(db, sim)
    except KeyboardInterrupt:
        say(
            "Interrupted again: the world's ground truth was not stored, so `smurf evaluate` "
            "cannot measure this crawl."
        )


def _printer(out: TextIO) -> Callable[[str], None]:
    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    return say


# ---- steps ------------------------------------------------------------------------------
def prepare_database(options: DemoOptions, say: Callable[[str], None]) -> None:
    """A migrated demo database with the demo's schedules. A fresh one is built beside the
    old (``NAME.preparing.duckdb``) and takes its place only when ready, so an interruption
    leaves the previous demo database as it was; ``keep`` migrates the old one in place."""
    path = options.db_path
    refuse_data_not_the_demos(path, options.lock_timeout_s)
    if options.keep:
        migrate(path, timeout_s=options.lock_timeout_s)
        configure_demo_jobs(path, options.lock_timeout_s)
        say(f"Database {path} ready (kept).")
        return
    make_database_folder(path)  # a missing folder is named as given, not as the fresh file
    fresh = path.with_name(f"{path.stem}.preparing{path.suffix}")
    _remove_database_files(fresh)  # what an interrupted demo left
    try:
        migrate(fresh, timeout_s=options.lock_timeout_s)
        configure_demo_jobs(fresh, options.lock_timeout_s)
        delete_database_file(path, timeout_s=options.lock_timeout_s)
        for made, final in ((fresh, path), (Path(f"{fresh}.wal"), Path(f"{path}.wal"))):
            if made.exists():
                made.replace(final)
    finally:
        _remove_database_files(fresh)
    say(f"Database {path} ready (fresh).")


def refuse_data_not_the_demos(path: Path, lock_timeout_s: float) -> None:
    """Refuse a database holding players that neither the demo nor the simulator made: a
    fresh demo would delete them (and ``--keep`` mix a simulated world and the demo's
    schedules in). The demo's own databases carry its schedules (an interrupted demo's too),
    a simulated world's database its ground truth."""
    if not path.exists() or path.is_dir():
        return  # a folder is refused where the database is opened, in words
    with Database(path, lock_timeout_s).read() as con:
        tables = {
            str(row[0])
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        if "sim_truth" in tables or "players" not in tables:
            return
        players = con.execute("SELECT count(*) FROM players").fetchone()
        schedules = dict(
            con.execute("SELECT job_type, schedule FROM job_configurations").fetchall()
            if "job_configurations" in tables
            else []
        )
    demos = all(schedules.get(job) == every for job, every in DEMO_SCHEDULES.items())
    if players and players[0] and not demos:
        held = counted(int(players[0]), "player", "players")
        raise ConfigError(
            f"{path} holds {held} that neither the demo nor the simulator stored (no "
            "simulated world's ground truth, not the demo's schedules): the demo would delete "
            "them (or, with --keep, mix a simulated world into them). Give the demo another "
            f"--db (its own is {DEMO_DB_PATH}), or delete that file first if it is not wanted."
        )


def _remove_database_files(path: Path) -> None:
    for made in (path, Path(f"{path}.wal")):
        made.unlink(missing_ok=True)


def configure_demo_jobs(path: Path, lock_timeout_s: float) -> None:
    """The demo's short schedules and small budgets; reports run once, at the end."""
    with Database(path, lock_timeout_s).write() as con:
        for config in records.list_job_configs(con):
            if config.job_type not in DEMO_SCHEDULES:
                records.update_job_config(con, config.id, is_active=False)
                continue
            current = config.config_json if isinstance(config.config_json, dict) else {}
            records.update_job_config(
                con,
                config.id,
                schedule=DEMO_SCHEDULES[config.job_type],
                is_active=True,
                config_json={**current, **DEMO_CONFIGS[config.job_type]},
            )


def pick_players(truth: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """A handful of active accounts: some suspicious, most ordinary, as an analyst would pick."""
    active = [t for t in truth if not t["is_banned"] and t["games"] >= 10]
    interesting = [t for t in active if t["population"] in ("SMURF", "BOOSTED")][: n // 2]
    ordinary = [t for t in active if t["population"] == "NORMAL"][: n - len(interesting)]
    return interesting + ordinary


def track_players(context: JobContext, sim: RunningSimulator, say: Callable[[str], None]) -> None:
    from pipeline.riot import RiotClient

    chosen = pick_players(sim.truth(), TRACKED_PLAYERS)
    settings = context.settings

    async def resolve() -> list[dict[str, Any]]:
        async with RiotClient(
            settings.riot_api_key, settings.riot_api_base, limiter=context.limiter
        ) as client:
            return [
                dict(
                    await client.get_account_by_riot_id(
                        t["game_name"], t["tag_line"], platform=settings.platform
                    )
                )
                for t in chosen
            ]

    accounts = asyncio.run(resolve())
    with context.db.write() as con:
        for account in accounts:
            track_player(
                con,
                puuid=account["puuid"],
                game_name=account["gameName"],
                tag_line=account["tagLine"],
                platform=settings.platform,
                now=records.utcnow(),
            )
    names = ", ".join(f"{a['gameName']}#{a['tagLine']}" for a in accounts)
    say(f"Tracking {counted(len(accounts), 'player', 'players')}: {names}")


async def run_scheduler(
    context: JobContext, sim: RunningSimulator, options: DemoOptions, say: Callable[[str], None]
) -> str | None:
    """Run the real scheduler for the demo's minutes; returns why it stopped."""
    say(f"Running the scheduler for {options.minutes:g} min (Ctrl-C stops it cleanly)...")
    # Without this, RATE_LIMITED runs climbing beside 429s=0 read as errors nothing caused.
    say(
        "  requests: every request the simulator served (the jobs' and the demo's own lookups "
        "of the players it tracks). 429s: the API's rate-limit answers. The client keeps "
        "under the key's limits, so a run that would wait too long for them ends "
        "RATE_LIMITED, its progress kept for the next run."
    )
    started = time.monotonic()

    async def status_loop() -> None:
        while True:
            await asyncio.sleep(options.status_every_s)
            # Off the scheduler's loop: reading may wait for the file (or hold back for
            # another process that waits for it).
            elapsed_s = time.monotonic() - started
            say(await asyncio.to_thread(status_line, context.db, sim, elapsed_s))

    printer = asyncio.create_task(status_loop())
    try:
        scheduler = await serve_scheduler(
            context,
            api_host="127.0.0.1",
            api_port=0,
            api_token=None,
            duration_s=options.minutes * 60,
            sync_interval_s=2.0,
            run_immediately=True,
            first_runs_in_data_order=False,  # its jobs fall due seconds apart
        )
    finally:
        printer.cancel()
    say(status_line(context.db, sim, time.monotonic() - started))
    return scheduler.stop_reason


def status_line(db: Database, sim: RunningSimulator, elapsed_s: float) -> str:
    """One line of live status: requests, 429s, matches, players, runs by status."""
    stats = sim.stats()
    with db.read() as con:
        counts = data_counts(con)
    runs: dict[str, int] = {}
    for _job_type, status, n in counts.runs:
        runs[status] = runs.get(status, 0) + n
    limited = sum(int(v) for v in stats.get("rate_limited", {}).values())
    by_status = " ".join(f"{k}={v}" for k, v in sorted(runs.items())) or "none yet"
    return (
        f"[{elapsed_s:5.0f}s] requests={stats.get('requests', 0)} 429s={limited} "
        f"matches={counts.matches} players={counts.players} scored={counts.scored_players} "
        f"runs: {by_status}"
    )


def write_ground_truth(db: Database, sim: RunningSimulator) -> None:
    """Store the simulator's ground truth so reports can measure detection quality."""
    from pipeline.simulator.export import store_truth

    assert sim.world is not None, "the demo serves its world in this process"
    with db.write() as con:
        store_truth(con, sim.world)


def produce_report(options: DemoOptions, result: DemoResult) -> None:
    from pipeline.reports.runner import run_report

    report = run_report(
        "01-smurf-report",
        {},
        out_dir=options.reports_dir,
        db_path=options.db_path.resolve(),
        lock_timeout_s=options.lock_timeout_s,
    )
    result.html_report = report.html_path
    result.executed_report = report.executed_path


# ---- summary ----------------------------------------------------------------------------
def summarise(db: Database) -> dict[str, Any]:
    """Figures for the closing summary, read from the demo database."""
    from pipeline.analysis import NoGroundTruthError, evaluate
    from pipeline.explorer.scores import latest_scores

    with db.read() as con:
        counts = data_counts(con)
        scores = latest_scores(con)
        quality: dict[str, float] = {}
        wrong: dict[str, list[dict[str, Any]]] = {}
        try:
            report = evaluate(con)
            wrong = _wrong_labels(report.scored, scores)
            figures: dict[str, float] = {}
            for target, method in (
                ("smurf", "model"),
                ("smurf", "winrate_rule"),
                ("boosted", "model"),
            ):
                for metric in ("roc_auc", "label_precision", "label_recall", "labelled"):
                    figures[f"{target}_{metric}_{method}"] = report.metric(target, method, metric)
            figures["players_evaluated"] = float(report.players)
            figures["smurfs_gone"] = report.metric("smurf", "model", "positives", "account gone")
            figures["smurf_label_recall_found"] = report.metric(
                "smurf", "model", "label_recall", "account found"
            )
            quality = figures  # all of them or none: the summary prints them together
        except NoGroundTruthError:
            pass
        except Exception as exc:  # a tiny demo world may lack positives: say so, go on
            quality["error"] = str(exc)  # type: ignore[assignment]
    flagged = scores[scores["label"].isin(("SMURF", "BOOSTED"))]
    suspects = flagged.sort_values("suspicion", ascending=False, kind="mergesort").head(5)
    return {
        "counts": {
            "matches": counts.matches,
            "participants": counts.participants,
            "players": counts.players,
            "scored": counts.scored_players,
            "unlabelled": int((scores["label"] == "INSUFFICIENT_DATA").sum()),
            "checks": counts.account_checks,
        },
        "runs": counts.runs,
        "requests": counts.api_requests,
        "suspects": [
            _suspect({str(k): v for k, v in row.items()}) for row in suspects.to_dict("records")
        ],
        "quality": quality,
        "wrong": wrong,
    }


# The wrong labels the summary names (the rest are counted): enough to open a few in the
# explorer and see what fooled the model.
WRONG_NAMED = 5


def _wrong_labels(scored: pd.DataFrame, scores: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Per label, the players it names wrongly (the truth says otherwise), highest score
    first: Riot ID, population and stored games."""
    names = dict(zip(scores["puuid"], scores["riot_id"], strict=True))
    out: dict[str, list[dict[str, Any]]] = {}
    for label, truth, score in (
        ("SMURF", "is_smurf", "smurf_score"),
        ("BOOSTED", "is_boosted", "boosted_score"),
    ):
        rows = scored[(scored["label"] == label) & ~scored[truth].astype(bool)]
        rows = rows.sort_values(score, ascending=False, kind="mergesort")
        out[label] = [
            {
                "riot_id": _shown_id(names.get(puuid, puuid), puuid),
                "population": str(population).lower().replace("_", " "),
                "games": int(games),
            }
            for puuid, population, games in zip(
                rows["puuid"], rows["population"], rows["games_analyzed"], strict=True
            )
        ]
    return out


def _shown_id(riot_id: str, puuid: str) -> str:
    """The Riot ID, or the start of the puuid when none is stored."""
    return riot_id if riot_id != puuid else puuid[:12]


def _suspect(row: dict[str, Any]) -> dict[str, Any]:
    label = row["label"]
    target = "smurf" if label == "SMURF" else "boosted"
    contributions = row["contributions"]
    parsed = json.loads(contributions) if isinstance(contributions, str) else contributions or {}
    factors = parsed.get(target, {}) if isinstance(parsed, dict) else {}
    top = [
        (factor_phrase(target, k, v), v)
        for k, v in sorted(
            ((k, float(v)) for k, v in factors.items() if v is not None), key=lambda kv: -kv[1]
        )[:3]
    ]
    return {
        "riot_id": _shown_id(row["riot_id"], row["puuid"]),
        "label": label,
        "score": float(row["smurf_score"] if label == "SMURF" else row["boosted_score"]),
        "confidence": row.get("confidence"),
        "games": row["games_analyzed"],
        "tier": row["tier"],
        "factors": top,
    }


def _share(value: float, spec: str = ".0%") -> str:
    """A share as a percentage (or a ROC-AUC with ``spec`` ".3f"), or "n/a" when it is
    undefined (nobody labelled; no positives or no negatives)."""
    return "n/a" if value != value else f"{value:{spec}}"


def _auc(value: float) -> str:
    return _share(value, ".3f")


def _players(n: float) -> str:
    """A count of players from the evaluation's figures (floats), in words: "1 player"."""
    return counted(int(n), "player", "players")


def _say_wrong(wrong: list[dict[str, Any]], say: Callable[[str], None]) -> None:
    """Name a label's wrong players (a few; the rest counted), to open in the explorer."""
    if not wrong:
        return
    named = ", ".join(
        f"{w['riot_id']} ({w['population']}, {counted(w['games'], 'game', 'games')})"
        for w in wrong[:WRONG_NAMED]
    )
    more = len(wrong) - WRONG_NAMED
    say(f"    wrong: {named}" + (f" and {more} more" if more > 0 else ""))


def _unlabelled(count: int) -> str:
    """The scored players left INSUFFICIENT_DATA, in words (nothing when there are none):
    "scored" counts them, the evaluation's "players with enough games" does not."""
    if not count:
        return ""
    return f" ({count:,} of them unlabelled: too few games or no profile yet)"


def print_summary(result: DemoResult, say: Callable[[str], None]) -> None:
    s = result.summary
    counts = s.get("counts", {})
    say("")
    say("=== Smurf Workbench demo: summary ===")
    say(
        f"Stored {counted(counts.get('matches', 0), 'match', 'matches')}, "
        f"{counted(counts.get('participants', 0), 'participant row', 'participant rows')}, "
        f"{counted(counts.get('players', 0), 'player', 'players')}; scored "
        f"{counts.get('scored', 0):,}{_unlabelled(counts.get('unlabelled', 0))}; "
        f"{counted(counts.get('checks', 0), 'ban check', 'ban checks')}; "
        # The jobs' own count: the live lines count every request the simulator served,
        # the demo's lookups of the players it tracks too.
        f"{counted(s.get('requests', 0), 'API request', 'API requests')} by the jobs."
    )
    runs: dict[str, list[str]] = {}
    for job_type, status, n in s.get("runs", []):
        runs.setdefault(job_type, []).append(f"{status}={n}")
    for job_type, parts in runs.items():
        say(f"  {job_type:<24} {' '.join(parts)}")
    say("")
    say(
        "Top suspects (p: the model's score; conf: how often that label was right on "
        "held-out crawls at that many stored games; main factors):"
    )
    for suspect in s.get("suspects", []) or []:
        factors = ", ".join(f"{k} {v:+.2f}" for k, v in suspect["factors"])
        # The label's confidence beside the score: p = 1.00 on 20 games is right 88 % of
        # the time on held-out worlds, and the score alone would promise more.
        confidence = suspect.get("confidence")
        sure = (
            f" conf={confidence:.0%}"
            if isinstance(confidence, float) and confidence == confidence
            else ""
        )
        say(
            f"  {suspect['riot_id']:<24} {suspect['label']:<8} p={suspect['score']:.2f}{sure} "
            f"tier={suspect['tier']} games={suspect['games']}: {factors}"
        )
    if not s.get("suspects"):
        say("  none flagged yet (run longer with --minutes)")
    quality = s.get("quality", {})
    if "smurf_roc_auc_model" in quality:
        say("")
        say(
            f"Detection quality vs the simulator's ground truth "
            f"({_players(quality['players_evaluated'])} with enough games):"
        )
        say(
            f"  smurf ROC-AUC: model {_auc(quality['smurf_roc_auc_model'])} vs "
            f"'win rate >= 65% over >= 30 games' {_auc(quality['smurf_roc_auc_winrate_rule'])}"
        )
        for method, name in (("model", "SMURF label"), ("winrate_rule", "rule's flag")):
            say(
                f"  {name}: {_players(quality[f'smurf_labelled_{method}'])}, precision "
                f"{_share(quality[f'smurf_label_precision_{method}'])}, recall "
                f"{_share(quality[f'smurf_label_recall_{method}'])}"
            )
            if method == "model":
                _say_wrong(s.get("wrong", {}).get("SMURF", []), say)
        if quality.get("smurfs_gone"):
            gone = int(quality["smurfs_gone"])
            are, them = ("is", "it") if gone == 1 else ("are", "them")
            say(
                f"  {gone} of the smurfs judged {are} gone (summoner-v4 no longer finds {them}:"
                f" banned or deleted) and never labelled; SMURF label recall over the accounts"
                f" still found: {_share(quality['smurf_label_recall_found'])}"
            )
        say(
            f"  boosted ROC-AUC: model {_auc(quality['boosted_roc_auc_model'])}; BOOSTED label: "
            f"{_players(quality['boosted_labelled_model'])}, precision "
            f"{_share(quality['boosted_label_precision_model'])}, recall "
            f"{_share(quality['boosted_label_recall_model'])}"
        )
        _say_wrong(s.get("wrong", {}).get("BOOSTED", []), say)
    elif "error" in quality:
        say(f"Detection quality: not measurable on this run ({quality['error']}).")
    say("")
    smurf = command_name()
    if result.html_report:
        say(f"Report:   {result.html_report}")
    elif result.interrupted:  # the line a reader looks for, saying why it is not there
        say(f"Report:   none (interrupted); `{smurf} --db {result.db_path} report` makes one")
    say(f"Database: {result.db_path}")
    say("")
    say("Next:")
    # Named, not left to `smurf lab`'s own choice (the newest of the default and the demo's
    # database), which is another file when the demo wrote elsewhere (`demo --db`).
    say(f"  {smurf} --db {result.db_path} lab    explore in JupyterLab on this database")
    say(
        f'  {smurf} --db {result.db_path} sql "SELECT label, count(*) FROM latest_smurf_scores'
        ' GROUP BY label"'
    )
    say(f"  {smurf} --db {result.db_path} jobs status")


def command_name(argv0: str | None = None) -> str:
    """How to type the `smurf` command that is running, in the hints: ``smurf`` when the
    shell finds this very one on PATH, else its path (``make demo`` runs .venv/bin/smurf
    without activating the virtual environment, where a bare ``smurf`` is not found)."""
    program = Path(argv0 if argv0 is not None else sys.argv[0])
    if program.name != "smurf" or not program.is_file():
        return "smurf"  # run some other way (python -m pipeline, a test)
    found = shutil.which("smurf")
    if found is not None and Path(found).resolve() == program.resolve():
        return "smurf"
    here = Path.cwd()
    absolute = program.resolve()
    if not absolute.is_relative_to(here):
        return str(absolute)
    relative = absolute.relative_to(here)
    # A bare name is looked up on PATH by the shell, not in the current folder.
    return str(relative) if relative.parent != Path(".") else f"./{relative}"
