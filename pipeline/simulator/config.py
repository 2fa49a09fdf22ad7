"""Simulator settings: one frozen object describing the world and the server's behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.simulator.assumptions import STANDARD, WorldAssumptions
from pipeline.simulator.errors import SimulatorConfigError

PLATFORM_REGIONS: dict[str, str] = {
    "na1": "americas",
    "br1": "americas",
    "la1": "americas",
    "la2": "americas",
    "euw1": "europe",
    "eun1": "europe",
    "tr1": "europe",
    "ru": "europe",
    "me1": "europe",
    "kr": "asia",
    "jp1": "asia",
    "oc1": "sea",
    "sg2": "sea",
    "tw2": "sea",
    "vn2": "sea",
}
REGIONS = frozenset(PLATFORM_REGIONS.values())
# account-v1 is served by these regional hosts only (any of them answers for any account).
ACCOUNT_REGIONS = frozenset({"americas", "asia", "europe"})

# The fewest players that make a match, and the most a world of the command line holds
# (the demo's too): 200,000 players took 1.4 GB and 1.5 minutes to build, and 2.7 GB and
# 17 minutes (on a busy machine) to export into a 7 GB file; memory grows with the players,
# and far more ended in a MemoryError.
MIN_WORLD_PLAYERS, MAX_WORLD_PLAYERS = 10, 200_000

FAULT_RATE_NAMES = (
    "fault_rate",
    "slow_rate",
    "malformed_rate",
    "drop_rate",
    "service_429_rate",
)
# The longest delay of a slow answer: an hour outlasts every client's timeout.
MAX_SLOW_RESPONSE_S = 3600.0
# The furthest a world's clock is moved on (about ten years): its times stay before 2038.
MAX_CLOCK_SHIFT_WEEKS = 520


@dataclass(frozen=True)
class RateWindow:
    """One rate-limit window: at most ``limit`` requests per ``window_s`` seconds."""

    limit: int
    window_s: int

    def header(self) -> str:
        """The window as Riot writes it in a rate-limit header (``20:1``)."""
        return f"{self.limit}:{self.window_s}"


def parse_rate_limit(spec: str) -> tuple[RateWindow, ...]:
    """Parse a Riot rate-limit spec such as ``20:1,100:120`` into its windows."""
    windows: list[RateWindow] = []
    for part in spec.split(","):
        limit_text, _, window_text = part.strip().partition(":")
        try:
            window = RateWindow(int(limit_text), int(window_text))
        except ValueError:
            raise SimulatorConfigError(
                f"The rate limit {spec!r} is not a list of LIMIT:SECONDS pairs such as "
                "'20:1,100:120'."
            ) from None
        if window.limit <= 0 or window.window_s <= 0:
            raise SimulatorConfigError(
                f"The rate limit {spec!r} has a window that is not positive; use values > 0."
            )
        windows.append(window)
    return tuple(windows)


@dataclass(frozen=True)
class SimulatorConfig:
    """What world to build and how the simulated Riot API behaves."""

    seed: int = 0
    players: int = 2000
    platform: str = "euw1"
    app_limit: str = "20:1,100:120"  # Riot's development-key default
    method_limit: str = "2000:10"  # every method, unless overridden in method_limits
    method_limits: Mapping[str, str] = field(default_factory=dict)  # method -> spec
    latency_ms: tuple[float, float] = (0.0, 0.0)  # uniform between min and max
    fault_rate: float = 0.0  # share of 5xx answers
    slow_rate: float = 0.0  # share answered after slow_response_s
    slow_response_s: float = 15.0
    malformed_rate: float = 0.0  # share of 200s with a broken JSON body
    drop_rate: float = 0.0  # share of connections dropped mid-response
    service_429_rate: float = 0.0  # 429 without Retry-After, X-Rate-Limit-Type: service
    api_key: str | None = field(default=None, repr=False)  # None: any key (or none) works
    clock_speed: float = 0.0  # simulated seconds per real second; 0: only /__sim/advance
    history_days: int = 90  # how much match history exists before "now"
    # Whole weeks by which the world is later than world.DEFAULT_NOW: the same games, each
    # that much later (weekdays and weekly buckets unchanged). 0 for research; the demo and
    # `smurf simulator serve` bring the world up to the real date (world.weeks_to_reach).
    clock_shift_weeks: int = 0
    # Account events in the event_days after "now" (see lifecycle.py): shares of accounts.
    ban_share: float = 0.0  # banned for good
    suspension_share: float = 0.0  # suspended for a few days, then back
    transfer_share: float = 0.0  # moved to another platform
    event_days: int = 14
    serve_active_region: bool = True  # False: account-v1 getActiveRegion answers 404
    # Who plays and how their numbers behave (see assumptions.FAMILIES for named stories).
    assumptions: WorldAssumptions = STANDARD

    def __post_init__(self) -> None:
        if self.platform not in PLATFORM_REGIONS:
            known = ", ".join(sorted(PLATFORM_REGIONS))
            raise SimulatorConfigError(
                f"The platform {self.platform!r} is not a Riot platform; use one of {known}."
            )
        if self.players < MIN_WORLD_PLAYERS:
            raise SimulatorConfigError(
                f"A world needs at least {MIN_WORLD_PLAYERS} players to make a match (got "
                f"{self.players})."
            )
        parse_rate_limit(self.app_limit)
        parse_rate_limit(self.method_limit)
        for spec in self.method_limits.values():
            parse_rate_limit(spec)
        low_ms, high_ms = self.latency_ms
        if not 0 <= low_ms <= high_ms:
            raise SimulatorConfigError(
                f"The latency range {self.latency_ms} must be 0 <= min <= max milliseconds."
            )
        for name in FAULT_RATE_NAMES:
            check_rate(name, getattr(self, name))
        if not 0 <= self.slow_response_s <= MAX_SLOW_RESPONSE_S:
            raise SimulatorConfigError(
                f"The delay of a slow answer must be between 0 and {MAX_SLOW_RESPONSE_S:g} "
                f"seconds (got {self.slow_response_s})."
            )
        for name in ("ban_share", "suspension_share", "transfer_share"):
            check_rate(name, getattr(self, name))
        if self.ban_share + self.suspension_share + self.transfer_share > 1:
            raise SimulatorConfigError(
                "ban_share, suspension_share and transfer_share must add up to at most 1."
            )
        if self.event_days < 1:
            raise SimulatorConfigError(f"event_days must be at least 1 (got {self.event_days}).")
        if not 0 <= self.clock_shift_weeks <= MAX_CLOCK_SHIFT_WEEKS:
            raise SimulatorConfigError(
                f"clock_shift_weeks must be between 0 and {MAX_CLOCK_SHIFT_WEEKS} (got "
                f"{self.clock_shift_weeks})."
            )
        if self.clock_speed < 0 or self.history_days < 1:
            raise SimulatorConfigError(
                "The clock speed must be >= 0 and the history at least one day long."
            )

    @property
    def region(self) -> str:
        """The regional route (americas, europe, asia, sea) of the world's platform."""
        return PLATFORM_REGIONS[self.platform]

    def method_windows(self, method: str) -> tuple[RateWindow, ...]:
        """The rate-limit windows of one API method."""
        return parse_rate_limit(self.method_limits.get(method, self.method_limit))


def check_rate(name: str, value: float) -> None:
    """Refuse a fault share outside 0..1."""
    if not 0.0 <= value <= 1.0:
        raise SimulatorConfigError(f"{name} must be a share between 0 and 1 (got {value}).")
