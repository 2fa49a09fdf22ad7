"""Where the project's files are, and which database a notebook or `smurf lab` reads.

A notebook's kernel runs in the notebook's own folder (``notebooks/``, or the working
copies in ``data/notebooks/``), so relative paths in notebooks are resolved from the
project root, the folder holding ``notebooks/`` and ``data/``, never from the kernel's
working directory.

Every notebook finds its database the same way: its ``db_path`` parameter, else
``SMURF_DB``, else ``data/smurf.duckdb``, or the demo's database when that is missing or was
written before it (as `smurf sql` reads, ``demo_fallback``, said in the notebook's output);
either may be a lake URL instead of a file. It
waits for another program writing that database as long as its ``lock_timeout_s``
parameter says, else (negative) ``SMURF_LOCK_TIMEOUT_S``, else 30 s, as every command does.
`smurf lab` picks ``--db``/``SMURF_DB``, else the demo's database when it was built after
``data/smurf.duckdb`` was last written, and hands its pick to the notebooks as ``SMURF_DB``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import DEFAULT_DB_PATH, DEMO_DB_PATH, Settings
from pipeline.errors import SmurfError
from pipeline.store.location import Location, is_lake_url, parse_location

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class DatabaseChoice:
    """A database (a file path or a lake) and, in words, where it came from (for messages);
    ``said``: the sentence that tells a reader given no database that it reads the demo's
    (``demo_fallback``), None when it does not."""

    path: Location
    source: str
    said: str | None = None

    @property
    def announcement(self) -> str:
        """The line a command prints on choosing it: the demo fallback's sentence, else
        the database and where it came from."""
        return self.said or f"Database: {self.path} ({self.source})"


# How a reader given no database is told to read another than the demo's.
READ_ANOTHER_WITH_A_COMMAND = "give --db or set SMURF_DB"
READ_ANOTHER_IN_A_NOTEBOOK = "set the db_path parameter or SMURF_DB"


class DatabaseNotFoundError(SmurfError):
    """The database a notebook would read does not exist."""

    def __init__(self, choice: DatabaseChoice, root: Path = PROJECT_ROOT) -> None:
        self.choice = choice
        super().__init__(
            f"No database at {choice.path} ({choice.source}). {missing_database_advice(root)}"
        )


def resolve(path: Path | str, root: Path = PROJECT_ROOT) -> Path:
    """``path`` made absolute: a relative path is taken from the project root."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (root / candidate).resolve()


def notebook_choice(
    db_path: str, env: Mapping[str, str], root: Path = PROJECT_ROOT
) -> DatabaseChoice:
    """The database a notebook reads: ``db_path``, else ``SMURF_DB``, else the default, or
    the demo's when the commands would read it (``demo_fallback``)."""
    if db_path:
        return DatabaseChoice(_located(db_path, root), "the notebook's db_path parameter")
    if env.get("SMURF_DB"):
        return DatabaseChoice(_located(env["SMURF_DB"], root), "from SMURF_DB")
    default, demo = resolve(DEFAULT_DB_PATH, root), resolve(DEMO_DB_PATH, root)
    said = demo_fallback(default, demo, READ_ANOTHER_IN_A_NOTEBOOK)
    if said is not None:
        return DatabaseChoice(demo, "the demo's database", said)
    return DatabaseChoice(default, "the default: db_path is empty and SMURF_DB is not set")


def _located(value: str, root: Path) -> Location:
    """A lake URL as a lake, a file path made absolute."""
    return parse_location(value) if is_lake_url(value) else resolve(value, root)


def notebook_database(db_path: str, env: Mapping[str, str], root: Path = PROJECT_ROOT) -> Location:
    """The notebook's database (a file's absolute path, or a lake); a missing file is an
    error (``DatabaseNotFoundError``). Given none, it reads the demo's database as the
    commands do, and prints the sentence they say on reading it.

    Every notebook starts here, so this also sets the kernel's logging: the product's
    warnings and errors, no info lines (``configure_notebook_logging``)."""
    from pipeline.log import configure_notebook_logging
    from pipeline.store.location import refuse_directory

    configure_notebook_logging()

    choice = notebook_choice(db_path, env, root)
    refuse_directory(choice.path)  # a folder is not "no database": say what it is
    if isinstance(choice.path, Path) and not choice.path.is_file():
        raise DatabaseNotFoundError(choice, root) from None
    if choice.said is not None:
        print(choice.said)  # in the cell's output, as a command says it on stderr
    return choice.path


def notebook_lock_timeout(lock_timeout_s: float, env: Mapping[str, str]) -> float:
    """How long a notebook waits for another program writing its database: its
    ``lock_timeout_s`` parameter, else (negative) ``SMURF_LOCK_TIMEOUT_S``, else the
    default; checked as ``Settings`` checks it (``ConfigError``)."""
    if not lock_timeout_s < 0:  # NaN too: Settings refuses it
        return Settings(lock_timeout_s=lock_timeout_s).lock_timeout_s
    # Only the timeout's variable: the notebook's database is chosen by notebook_database.
    own = {k: v for k, v in env.items() if k == "SMURF_LOCK_TIMEOUT_S"}
    return Settings.from_env(own).lock_timeout_s


def lab_choice(explicit: Location | None, root: Path = PROJECT_ROOT) -> DatabaseChoice:
    """The database `smurf lab` opens the notebooks on.

    ``explicit`` (``--db`` or ``SMURF_DB``) wins; otherwise the demo's database when it was
    written after the default one (or the default is missing), else the default.
    """
    if explicit is not None and not isinstance(explicit, Path):
        return DatabaseChoice(explicit, "given by --db or SMURF_DB")
    if explicit is not None:
        return DatabaseChoice(explicit.expanduser().resolve(), "given by --db or SMURF_DB")
    default = resolve(DEFAULT_DB_PATH, root)
    demo = resolve(DEMO_DB_PATH, root)
    said = demo_fallback(default, demo)
    if said is not None:
        return DatabaseChoice(demo, "the demo's database", said)
    return DatabaseChoice(default, "the default")


def demo_chosen_over(default: Path, demo: Path) -> bool:
    """Whether a reader given no database reads the demo's rather than the default: the
    demo's exists and was written after the default, or the default does not exist (what
    `smurf lab` opens, and `sql`, `explain`, `evaluate`, `report` and the notebooks read)."""
    return demo.is_file() and (not default.is_file() or _mtime(demo) >= _mtime(default))


def demo_fallback(
    default: Path, demo: Path, read_another: str = READ_ANOTHER_WITH_A_COMMAND
) -> str | None:
    """The sentence a reader given no database says when it reads ``demo`` rather than
    ``default`` (``demo_chosen_over``), ``read_another`` saying how to read another; None
    when it reads ``default``. Every reader says this one sentence: the commands on stderr,
    a notebook in its output."""
    if demo == default or not demo_chosen_over(default, demo):
        return None
    why = f"it was written after {default}" if default.is_file() else f"{default} does not exist"
    return f"Reading {demo}, the demo's database, since {why}; to read another, {read_another}."


def missing_database_advice(root: Path = PROJECT_ROOT) -> str:
    """What to run (or set) when a database is missing, in one or two sentences."""
    demo = resolve(DEMO_DB_PATH, root)
    if demo.is_file():
        return (
            f"The demo's database exists at {demo}: open the notebooks with `smurf lab`, "
            f"or set SMURF_DB={demo} (or db_path) to read it."
        )
    return (
        f"Build one with `make demo` (writes {DEMO_DB_PATH}, then `smurf lab` opens the "
        "notebooks on it), or with `smurf db migrate` and the jobs for real data; "
        "or set SMURF_DB (or db_path) to an existing file."
    )


def _mtime(path: Path) -> float:
    return path.stat().st_mtime


def utc_time(text: str, name: str = "time") -> datetime | None:
    """An ISO 8601 time parameter as a naive UTC datetime (the database's timestamps are
    UTC without a zone); an offset is converted, ``Z`` is UTC; None when empty."""
    if not text.strip():
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{name} must be a UTC time in ISO 8601, e.g. 2026-11-29T18:00 (got {text!r})."
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def spelled_as_choices(value: str, choices: Sequence[str]) -> str:
    """``value`` in upper case when ``choices`` are all upper-case names (``ban_checker``
    for ``BAN_CHECKER``, as `smurf jobs` takes job types), else as given."""
    if choices and all(choice == choice.upper() for choice in choices):
        return value.strip().upper()
    return value


def one_of(value: str, name: str, choices: Sequence[str]) -> str:
    """A notebook parameter that is empty or one of ``choices`` (upper-case names in any
    case, returned as spelled there), as ``smurf report`` checks it: run in the lab, a value
    outside them (``MATCH-FETCHER`` for ``MATCH_FETCHER``) would otherwise read as nothing
    found."""
    spelled = spelled_as_choices(value, choices)
    if spelled and spelled not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)} or empty (got {value!r}).")
    return spelled
