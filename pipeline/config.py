"""Settings: one frozen object, built at entry points from the environment and CLI options.

Nothing else in the package reads ``os.environ``; functions take a ``Settings`` (or the
single value they need) as an argument.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import ConfigError, shorten
from pipeline.log import redact_text

if TYPE_CHECKING:
    from pipeline.store.location import Location

DEFAULT_DB_PATH = Path("data/smurf.duckdb")
# What `smurf demo` (and `make demo`) builds, beside the default.
DEMO_DB_PATH = Path("data/demo.duckdb")

DEFAULT_RIOT_API_BASE = "https://{route}.api.riotgames.com"
REAL_API_HOST = "riotgames.com"  # a base naming it is the real API, which needs a key
MISSING_KEY_MESSAGE = (
    "RIOT_API_KEY is not set: export your key from developer.riotgames.com, or point "
    "RIOT_API_BASE at the bundled simulator (`smurf simulator serve`)."
)
DEFAULT_PLATFORM = "euw1"
DEFAULT_LOCK_TIMEOUT_S = 30.0
MAX_LOCK_TIMEOUT_S = 3600.0
# Host names that reach this machine only; the monitoring API trusts no other Host unasked.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def demo_database_beside(missing: Path) -> Path | None:
    """The demo's database in the folder of the database ``missing`` (which does not exist),
    if there is one: after `make demo` a new user's first command often reads the default,
    which does not exist yet, beside the demo's."""
    demo = missing.parent / DEMO_DB_PATH.name
    return demo if missing.name != demo.name and demo.is_file() else None


@dataclass(frozen=True)
class Settings:
    """Everything an entry point needs to know about its environment."""

    # A DuckDB file, or a lake (pipeline.store.location: SMURF_DB=ducklake:postgresql://...).
    db_path: Location = DEFAULT_DB_PATH
    # repr=False: the key must never appear in a log line, traceback or repr.
    riot_api_key: str | None = field(default=None, repr=False)
    riot_api_base: str = DEFAULT_RIOT_API_BASE
    platform: str = DEFAULT_PLATFORM
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
    # Token the monitoring API requires from requests that do not come over loopback.
    api_token: str | None = field(default=None, repr=False)
    # The platforms this process's platform jobs work on (a worker's shard); None: all.
    platforms: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if "{route}" not in self.riot_api_base:
            raise ConfigError(
                f"RIOT_API_BASE must contain '{{route}}' (got {self.shown_api_base!r}); "
                "for example https://{route}.api.riotgames.com"
            )
        problem = api_base_problem(self.riot_api_base)
        if problem is not None:
            raise ConfigError(
                redact_text(
                    f"RIOT_API_BASE is not a usable URL (got {self.shown_api_base!r}): "
                    f"{problem}; for example https://{{route}}.api.riotgames.com",
                    [self.riot_api_key],
                )
            )
        if self.platforms is not None:
            object.__setattr__(self, "platforms", parse_platforms(self.platforms))
        object.__setattr__(self, "platform", _known_platform(self.platform))
        if not 0 <= self.lock_timeout_s <= MAX_LOCK_TIMEOUT_S:  # NaN fails this too
            raise ConfigError(
                f"The lock timeout must be between 0 and {MAX_LOCK_TIMEOUT_S:g} s "
                f"(got {self.lock_timeout_s}); set SMURF_LOCK_TIMEOUT_S to a number of seconds."
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: object) -> Settings:
        """Build settings from an environment mapping; non-None overrides (CLI options) win."""
        values: dict[str, object] = {}
        if env.get("SMURF_DB", "").strip():  # empty or blank: not set
            values["db_path"] = env["SMURF_DB"].strip()
        if env.get("RIOT_API_KEY"):
            values["riot_api_key"] = env["RIOT_API_KEY"].strip()
        if env.get("RIOT_API_BASE"):
            values["riot_api_base"] = env["RIOT_API_BASE"]
        if env.get("SMURF_PLATFORMS"):
            values["platforms"] = env["SMURF_PLATFORMS"]
        if env.get("SMURF_PLATFORM"):
            values["platform"] = env["SMURF_PLATFORM"].strip().lower()
        if env.get("SMURF_API_TOKEN"):
            values["api_token"] = env["SMURF_API_TOKEN"].strip()
        if env.get("SMURF_LOCK_TIMEOUT_S"):
            try:
                values["lock_timeout_s"] = float(env["SMURF_LOCK_TIMEOUT_S"])
            except ValueError as exc:
                raise ConfigError(
                    f"SMURF_LOCK_TIMEOUT_S must be a number of seconds "
                    f"(got {shorten(env['SMURF_LOCK_TIMEOUT_S'])})."
                ) from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "db_path" in values:
            # Imported here: the store imports this module.
            from pipeline.store.location import parse_location

            values["db_path"] = parse_location(values["db_path"])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    @property
    def shown_api_base(self) -> str:
        """RIOT_API_BASE as a message may show it: the key, and a user or password in it,
        replaced by ``***`` (such messages are stored with executions, not only logged), as is
        all of a query or fragment, where a key may be written that RIOT_API_KEY does not hold."""
        shown = re.sub(r"([?#]).*", r"\1***", self.riot_api_base, flags=re.DOTALL)
        return redact_text(shown, [self.riot_api_key])

    def require_riot_key(self) -> None:
        """Refuse, before any request, to call the real Riot API without a key (the bundled
        simulator takes any key, or none)."""
        if not self.riot_api_key and REAL_API_HOST in self.riot_api_base:
            raise ConfigError(MISSING_KEY_MESSAGE)

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def api_base_problem(base: str) -> str | None:
    """Why a base URL template (with ``{route}``) cannot be requested, found before any
    request (the HTTP client would fail on it mid-command, with a traceback); None if it can."""
    import httpx  # imported here: most commands never build a client

    try:
        url = httpx.URL(base.replace("{route}", "europe"))
        port = url.port
    except (httpx.InvalidURL, ValueError) as error:
        return str(error).rstrip(".")
    if url.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    if not url.host:
        return "it names no host"
    if port is not None and not 1 <= port <= 65535:
        return f"the port {port} is not between 1 and 65535"
    if url.query or url.fragment:
        # The client appends each request's path to the base: a query there would end up
        # inside the path of every request, and the key belongs in RIOT_API_KEY (a header).
        return "it must not carry a query (?...) or a fragment (#...); put the key in RIOT_API_KEY"
    return None


def _known_platform(value: str) -> str:
    """The default platform, lower case, when the Riot API has it."""
    from pipeline.riot.routing import PLATFORMS

    platform = value.strip().lower()
    if platform not in PLATFORMS:
        raise ConfigError(
            f"The platform must be one of {', '.join(PLATFORMS)} (got {shorten(value)}); "
            "set --platform or SMURF_PLATFORM."
        )
    return platform


def parse_platforms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Platforms named in ``euw1,eun1`` form (or a sequence), checked, lower case, sorted."""
    from pipeline.riot.routing import PLATFORMS

    names = value.split(",") if isinstance(value, str) else list(value)
    platforms = sorted({name.strip().lower() for name in names if name.strip()})
    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown or not platforms:
        raise ConfigError(
            f"Platforms must be a comma-separated list of {', '.join(PLATFORMS)} "
            f"(got {', '.join(unknown) or 'none'})."
        )
    return tuple(platforms)
