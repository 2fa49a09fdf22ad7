"""Ground truth from a file: labels an analyst has (bans, confessions, a world of their own)
to measure the scores against, in place of the simulator's ``sim_truth``.

A CSV with a header: ``puuid`` and ``is_smurf`` and ``is_boosted`` (true/false, 1/0, yes/no),
and optionally ``population`` (a group to report flag rates for; default SMURF, BOOSTED or
ORDINARY from the two labels) and ``is_trap`` (an honest look-alike: a returning veteran, a
one-trick; default false).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.analysis.errors import AnalysisError

REQUIRED = ("puuid", "is_smurf", "is_boosted")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


class TruthFileError(AnalysisError):
    """A truth file that cannot be read as ground truth; the message says what to fix."""


def read_truth_file(path: Path) -> pd.DataFrame:
    """The truth in ``path`` as ``load_truth`` gives it: puuid, population (upper case),
    is_smurf, is_boosted, is_trap, one row per puuid."""
    try:
        # Blank lines are kept (and dropped below) so that a line number counts them.
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise TruthFileError(
            f"Cannot read the truth file {path} as a UTF-8 CSV with a header: {exc}"
        ) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    doubled = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if doubled:
        raise TruthFileError(f"The truth file {path} has the column {doubled[0]} twice: keep one.")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise TruthFileError(
            f"The truth file {path} has no column {', '.join(missing)}: it needs a header "
            "with puuid,is_smurf,is_boosted (and optionally population, is_trap)."
        )
    frame = frame.apply(lambda column: column.str.strip())
    frame.index = frame.index + 2  # the line each row is on, the header being line 1
    frame = frame[(frame != "").any(axis=1)]
    if (frame["puuid"] == "").any():
        raise TruthFileError(
            f"The truth file {path} has no puuid on line {_first(frame['puuid'] == '')}."
        )
    repeated = frame["puuid"][frame["puuid"].duplicated()]
    if not repeated.empty:
        raise TruthFileError(
            f"The truth file {path} names puuid {repeated.iloc[0]!r} more than once (line "
            f"{repeated.index[0]}): give each player one line."
        )
    for column in ("is_smurf", "is_boosted", "is_trap"):
        frame[column] = _flags(frame, column, path)
    derived = pd.Series("ORDINARY", index=frame.index)
    derived[frame["is_boosted"]] = "BOOSTED"
    derived[frame["is_smurf"]] = "SMURF"
    given = frame["population"].str.upper() if "population" in frame.columns else derived
    frame["population"] = given.where(given != "", derived)
    truth: pd.DataFrame = frame[["puuid", "population", "is_smurf", "is_boosted", "is_trap"]]
    return truth.reset_index(drop=True)


def _first(rows: pd.Series) -> int:
    """The line of the first row where ``rows`` is true."""
    return int(rows[rows].index[0])


def _flags(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """``column`` as booleans; the optional is_trap may be left blank or out (false)."""
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    text = frame[column].str.lower()
    allowed = _TRUE | _FALSE | ({""} if column == "is_trap" else set())
    bad = ~text.isin(allowed)
    if bad.any():
        line = _first(bad)
        raise TruthFileError(
            f"The truth file {path} has {column} = {frame[column][line]!r} on line {line}: "
            "write true or false (or 1 or 0)."
        )
    return text.isin(_TRUE)
