"""How well BAN_CHECKER tells bans, suspensions and transfers apart, against the world's truth.

A simulated world in which accounts are banned, suspended for 3-10 days and transferred to
other platforms during the 14 days after its "now" (renames happen too) is crawled with the
product's own jobs (TRACKED_PLAYER_UPDATER, MATCH_FETCHER, SMURF_ANALYZER). BAN_CHECKER then
runs on its seeded schedule (``cron(0 4 * * *)``, daily) while the simulator's clock moves to
each fire time, with ``ban_check_days`` 1 (every flagged account is looked at every run) and
``unavailable_recheck_days`` 3. Its checks are compared with the simulator's truth:

- precision of UNAVAILABLE: checks concluding UNAVAILABLE whose account was banned or
  suspended at that moment;
- recall within two scheduled runs: accounts checked that went (banned, suspended, or already
  gone before the first run) and were UNAVAILABLE by the second run after they went;
- hours from a ban during the run to UNAVAILABLE;
- ended suspensions noticed (a check finding the account again) within
  ``unavailable_recheck_days`` of the end; transfers found (TRANSFERRED with the right new
  platform) within ``ban_check_days`` of the move: the re-check cadences;
- requests spent per check.

Aims: precision >= 0.99, recall >= 0.95, every ended suspension and transfer noticed within
its cadence. Run: ``.venv/bin/python -m benchmarks.bench_bans``
"""

from __future__ import annotations

import statistics
import tempfile
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from benchmarks._common import Result, print_results, stopwatch
from pipeline.jobs import ExecutionOutcome, JobContext
from pipeline.jobs.schedule import parse_schedule
from pipeline.log import configure_logging
from pipeline.simulator import RunningSimulator, SimulatorConfig, World, serve_in_thread
from pipeline.simulator.lifecycle import Lifecycle
from pipeline.simulator.population import DAY_S, NEVER_S
from pipeline.store import Database
from tests.sim_helpers import job_context, run_job, set_job_config
from tests.test_reliability_soak import pending_players, prepare

NAME = "bench_bans"
SEED, PLAYERS, HISTORY_DAYS = 41, 1500, 14
# A stressed world: three accounts in five see an event in the 14 days after "now", so that
# the few percent the analysis flags (the only ones BAN_CHECKER looks at) see enough of each.
EVENTS = {"ban_share": 0.2, "suspension_share": 0.2, "transfer_share": 0.2, "event_days": 14}
RUN_DAYS = 28  # scheduled runs: the 14 days of events, then time for the last to resolve
BAN_CHECK_DAYS, UNAVAILABLE_RECHECK_DAYS = 1, 3
MAX_FETCH_CYCLES = 8
FOUND = ("ACTIVE", "INACTIVE", "RENAMED", "TRANSFERRED")
GONE = ("NOT_FOUND_ONCE", "UNAVAILABLE")


def world_config() -> SimulatorConfig:
    return SimulatorConfig(
        seed=SEED,
        players=PLAYERS,
        history_days=HISTORY_DAYS,
        app_limit="100000:1",
        method_limit="100000:1",
        **EVENTS,  # type: ignore[arg-type]
    )


def sim_time(world: World) -> datetime:
    return datetime(1970, 1, 1) + timedelta(seconds=int(world.now_s))


def epoch_s(at: datetime) -> int:
    return int((at - datetime(1970, 1, 1)).total_seconds())


# ---- the crawl and the scheduled runs ---------------------------------------------------


def crawl(db_path: Path, sim: RunningSimulator, held: ExitStack) -> dict[str, Any]:
    """Fill the database as an operator would: track a few, fetch the rest, score everyone.

    One connection is held open in ``held`` from here on, so the jobs' short-lived
    connections share this process's DuckDB instance. Otherwise each of them opens the file
    anew and replays its write-ahead log (up to 16 MB, seconds per open on a busy machine):
    the fetcher's runs then hit their time limit and the world checked depends on the
    machine's speed. What is measured here is the checks, not the crawl's speed.
    """
    truth = sim.truth()
    tracked = sorted((t for t in truth if not t["is_banned"]), key=lambda t: -t["games"])[:3]
    prepare(db_path, [t["puuid"] for t in tracked])
    held.enter_context(closing(duckdb.connect(str(db_path))))
    set_job_config(db_path, "SMURF_ANALYZER", unanalyzed_players_per_run=1_000_000)
    context = job_context(db_path, sim)
    run_job(context, "TRACKED_PLAYER_UPDATER")
    cycles = 0
    while cycles < MAX_FETCH_CYCLES and pending_players(db_path) > 0:
        run_job(context, "MATCH_FETCHER")
        cycles += 1
    run_job(context, "SMURF_ANALYZER")
    with Database(db_path).read() as con:
        stored = con.execute("SELECT count(*) FROM players").fetchone()
        flagged = con.execute(
            "SELECT count(*) FROM latest_smurf_scores WHERE label IN ('SMURF', 'BOOSTED')"
        ).fetchone()
    return {"fetch_cycles": cycles, "players": stored[0] if stored else 0,
            "flagged": flagged[0] if flagged else 0}  # fmt: skip


def scheduled_runs(db_path: Path, sim: RunningSimulator) -> list[tuple[datetime, ExecutionOutcome]]:
    """BAN_CHECKER at each fire time of its schedule over RUN_DAYS of simulated time."""
    set_job_config(
        db_path,
        "BAN_CHECKER",
        ban_check_days=BAN_CHECK_DAYS,
        unavailable_recheck_days=UNAVAILABLE_RECHECK_DAYS,
        max_checks_per_run=100_000,
    )
    with Database(db_path).read() as con:
        row = con.execute(
            "SELECT schedule FROM job_configurations WHERE job_type = 'BAN_CHECKER'"
        ).fetchone()
    assert row is not None
    trigger = parse_schedule(str(row[0]))
    context: JobContext = job_context(db_path, sim, clock=lambda: sim_time(sim.world))
    end = sim_time(sim.world) + timedelta(days=RUN_DAYS)
    fire = trigger.get_next_fire_time(None, sim_time(sim.world).replace(tzinfo=UTC))
    runs = []
    while fire.replace(tzinfo=None) <= end:
        at = fire.replace(tzinfo=None)
        sim.advance(hours=(epoch_s(at) - sim.world.now_s) / 3600)
        runs.append((at, run_job(context, "BAN_CHECKER")))
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return runs


# ---- judging the checks against the truth -----------------------------------------------


@dataclass
class Truth:
    """When each account went, came back and moved (epoch seconds, NEVER_S for never)."""

    world: World
    events: Lifecycle

    def gone_at(self, player: int, at_s: int) -> bool:
        return bool(self.world.players.banned_at_s[player] <= at_s) or self.events.is_banned(
            player, at_s
        )

    def went_s(self, player: int) -> int:
        """When the account first went (a ban or a suspension), NEVER_S if it never did."""
        return int(
            min(
                self.world.players.banned_at_s[player],
                self.events.banned_at_s[player],
                self.events.suspended_at_s[player],
            )
        )


@dataclass
class Judgement:
    unavailable: int = 0
    unavailable_right: int = 0
    went: int = 0  # went during the scheduled runs
    caught_in_two_runs: int = 0
    went_before: int = 0  # already gone at the first run
    caught_before: int = 0
    hours_to_unavailable: list[float] = field(default_factory=list)
    suspensions_ended: int = 0
    suspensions_noticed: int = 0
    suspension_hours: list[float] = field(default_factory=list)
    transfers: int = 0
    transfers_found: int = 0
    transfer_hours: list[float] = field(default_factory=list)
    platform_right: int = 0
    checks: int = 0
    requests: int = 0
    missed: list[str] = field(default_factory=list)


def judge(db_path: Path, world: World, runs: list[tuple[datetime, ExecutionOutcome]]) -> Judgement:
    """Every check of the scheduled runs against what the world says happened."""
    assert world.lifecycle is not None
    truth = Truth(world, world.lifecycle)
    run_s = [epoch_s(at) for at, _ in runs]
    with Database(db_path).read() as con:
        checks = con.execute(
            "SELECT puuid, checked_at, status, platform FROM account_checks ORDER BY checked_at, id"
        ).fetchall()
        platforms = dict(con.execute("SELECT puuid, platform FROM players").fetchall())
    by_player: dict[int, list[tuple[int, str, str]]] = {}
    for puuid, checked_at, status, platform in checks:
        player = world.player_of(puuid)
        assert player is not None
        by_player.setdefault(player, []).append((epoch_s(checked_at), status, platform))
    verdict = Judgement(
        checks=len(checks), requests=sum(o.metrics["api_requests_made"] for _, o in runs)
    )
    for player, seen in by_player.items():
        _precision(verdict, truth, player, seen)
        _recall(verdict, truth, player, seen, run_s)
        _suspension(verdict, truth, player, seen, run_s)
        _transfer(verdict, truth, player, seen, run_s, platforms)
    return verdict


def _precision(v: Judgement, truth: Truth, player: int, seen: list[tuple[int, str, str]]) -> None:
    for at_s, status, _ in seen:
        if status == "UNAVAILABLE":
            v.unavailable += 1
            v.unavailable_right += truth.gone_at(player, at_s)


def _recall(
    v: Judgement, truth: Truth, player: int, seen: list[tuple[int, str, str]], run_s: list[int]
) -> None:
    went_s = max(truth.went_s(player), run_s[0] - 1)  # gone before the first run: from then
    after = [r for r in run_s if r > went_s]
    if len(after) < 2 or not truth.gone_at(player, after[1]):
        return  # not two runs left to catch it, or back (a short suspension) by the second
    during = truth.went_s(player) >= run_s[0]
    caught = [at_s for at_s, status, _ in seen if status == "UNAVAILABLE" and at_s > went_s]
    in_time = bool(caught) and caught[0] <= after[1]
    if during:
        v.went += 1
        v.caught_in_two_runs += in_time
        if caught:
            v.hours_to_unavailable.append((caught[0] - went_s) / 3600)
    else:
        v.went_before += 1
        v.caught_before += in_time
    if not in_time:
        v.missed.append(str(truth.world.players.puuid[player])[:12])


def _suspension(
    v: Judgement, truth: Truth, player: int, seen: list[tuple[int, str, str]], run_s: list[int]
) -> None:
    start_s = int(truth.events.suspended_at_s[player])
    end_s = int(truth.events.suspended_until_s[player])
    allowed_s = UNAVAILABLE_RECHECK_DAYS * DAY_S
    noticed_gone = any(status in GONE and start_s <= at_s < end_s for at_s, status, _ in seen)
    if start_s == NEVER_S or not noticed_gone or end_s + allowed_s > run_s[-1]:
        return
    if truth.gone_at(player, end_s + allowed_s):
        return  # banned again (for good) before it could be noticed back
    v.suspensions_ended += 1
    back = [at_s for at_s, status, _ in seen if status in FOUND and at_s >= end_s]
    if back and back[0] - end_s <= allowed_s:
        v.suspensions_noticed += 1
    else:
        _miss(v, truth, player, seen, end_s, "suspension")
    if back:
        v.suspension_hours.append((back[0] - end_s) / 3600)


def _transfer(
    v: Judgement,
    truth: Truth,
    player: int,
    seen: list[tuple[int, str, str]],
    run_s: list[int],
    platforms: dict[str, str],
) -> None:
    moved_s = int(truth.events.transferred_at_s[player])
    allowed_s = BAN_CHECK_DAYS * DAY_S
    if moved_s == NEVER_S or moved_s + allowed_s > run_s[-1]:
        return
    destination = str(truth.events.transfer_platform[player])
    v.transfers += 1
    found = [at for at, status, where in seen if status == "TRANSFERRED" and where == destination]
    if found and found[0] - moved_s <= allowed_s:
        v.transfers_found += 1
    else:
        _miss(v, truth, player, seen, moved_s, "transfer")
    if found:
        v.transfer_hours.append((found[0] - moved_s) / 3600)
    v.platform_right += platforms.get(str(truth.world.players.puuid[player])) == destination


def _miss(
    v: Judgement,
    truth: Truth,
    player: int,
    seen: list[tuple[int, str, str]],
    since_s: int,
    what: str,
) -> None:
    """Note a missed event with the statuses checked after it (hours after, status)."""
    after = [
        (round((at_s - since_s) / 3600), status) for at_s, status, _ in seen if at_s >= since_s
    ]
    v.missed.append(f"{what} {str(truth.world.players.puuid[player])[:8]}: {after}")


# ---- the benchmark ----------------------------------------------------------------------


def _share(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")


def results(v: Judgement) -> list[Result]:
    precision = _share(v.unavailable_right, v.unavailable)
    recall = _share(v.caught_in_two_runs, v.went)
    before = _share(v.caught_before, v.went_before)
    suspensions = _share(v.suspensions_noticed, v.suspensions_ended)
    transfers = _share(v.transfers_found, v.transfers)
    hours = v.hours_to_unavailable or [float("nan")]
    return [
        Result(NAME, f"UNAVAILABLE precision ({v.unavailable} checks)", precision, "", None,
               ">= 0.99", precision >= 0.99),
        Result(NAME, f"UNAVAILABLE recall in 2 runs ({v.went} gone)", recall, "", None,
               ">= 0.95", recall >= 0.95),
        # A breakdown: a world whose crawl flagged no account gone before the first run has
        # nothing here to judge, and that is not a miss.
        Result(NAME, f"... of those gone before run 1 ({v.went_before})", before, "", None,
               ">= 0.95", before >= 0.95 if v.went_before else None),
        Result(NAME, "hours ban -> UNAVAILABLE, median", statistics.median(hours), "h", None,
               "info", None),
        Result(NAME, "hours ban -> UNAVAILABLE, max", max(hours), "h", None, "info", None),
        Result(NAME, f"ended suspensions noticed ({v.suspensions_ended})", suspensions, "", None,
               f"all, <= {UNAVAILABLE_RECHECK_DAYS} d", suspensions == 1.0),
        Result(NAME, f"transfers found, right platform ({v.transfers})", transfers, "", None,
               f"all, <= {BAN_CHECK_DAYS} d",
               transfers == 1.0 and v.platform_right == v.transfers),
        Result(NAME, "requests per check", _share(v.requests, v.checks), "req", None, "info",
               None),
    ]  # fmt: skip


def run() -> list[Result]:
    configure_logging(json_lines=True, level="warning")
    with tempfile.TemporaryDirectory(prefix="bench_bans_") as folder, stopwatch() as elapsed:
        db_path = Path(folder) / "bans.duckdb"
        with serve_in_thread(world_config()) as sim, ExitStack() as held:
            crawled = crawl(db_path, sim, held)
            crawl_s = elapsed()
            runs = scheduled_runs(db_path, sim)
            verdict = judge(db_path, sim.world, runs)
    statuses = [o.status.value for _, o in runs]
    print(f"crawl: {crawled} in {crawl_s:.0f} s; {len(runs)} scheduled runs {set(statuses)}")
    print(
        f"checks {verdict.checks}, UNAVAILABLE {verdict.unavailable} "
        f"({verdict.unavailable_right} right), gone during the runs {verdict.went} "
        f"(caught in two runs {verdict.caught_in_two_runs}), gone before {verdict.went_before} "
        f"(caught {verdict.caught_before}), missed {verdict.missed}, "
        f"suspensions ended {verdict.suspensions_ended} (noticed {verdict.suspensions_noticed}, "
        f"hours after the end {sorted(round(h) for h in verdict.suspension_hours)}), "
        f"transfers {verdict.transfers} (found {verdict.transfers_found}, "
        f"hours {sorted(round(h) for h in verdict.transfer_hours)}, "
        f"platform right {verdict.platform_right}); total {elapsed():.0f} s"
    )
    return results(verdict)


if __name__ == "__main__":
    print_results(run())
