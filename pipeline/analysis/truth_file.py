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
_FALSE = {"false", "0", "no", "n", "f", ""}


class TruthFileError(AnalysisError):
    """A truth file that cannot be read as ground truth; the message says what to fix."""


def read_truth_file(path: Path) -> pd.DataFrame:
    """The truth in ``path`` as ``load_truth`` gives it: puuid, population, is_smurf,
    is_boosted, is_trap, one row per puuid."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise TruthFileError(f"Cannot read the truth file {path}: {exc}") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise TruthFileError(
            f"The truth file {path} has no column {', '.join(missing)}: it needs a header "
            "with puuid,is_smurf,is_boosted (and optionally population, is_trap)."
        )
    frame["puuid"] = frame["puuid"].str.strip()
    if (frame["puuid"] == "").any():
        line = int((frame["puuid"] == "").to_numpy().argmax()) + 2
        raise TruthFileError(f"The truth file {path} has no puuid on line {line}.")
    repeated = frame["puuid"][frame["puuid"].duplicated()]
    if not repeated.empty:
        raise TruthFileError(
            f"The truth file {path} names puuid {repeated.iloc[0]!r} more than once: give "
            "each player one line."
        )
    for column in ("is_smurf", "is_boosted", "is_trap"):
        frame[column] = _flags(frame, column, path)
    if "population" in frame.columns:
        population = frame["population"].str.strip()
    else:
        population = pd.Series("", index=frame.index)
    derived = pd.Series("ORDINARY", index=frame.index)
    derived[frame["is_boosted"]] = "BOOSTED"
    derived[frame["is_smurf"]] = "SMURF"
    frame["population"] = population.where(population != "", derived)
    return frame[["puuid", "population", "is_smurf", "is_boosted", "is_trap"]].reset_index(
        drop=True
    )


def _flags(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """``column`` as booleans (false where the optional column is absent)."""
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    text = frame[column].str.strip().str.lower()
    bad = ~text.isin(_TRUE | _FALSE)
    if bad.any():
        line = int(bad.to_numpy().argmax()) + 2
        raise TruthFileError(
            f"The truth file {path} has {column} = {frame[column][bad].iloc[0]!r} on line "
            f"{line}: write true or false (or 1 or 0)."
        )
    return text.isin(_TRUE)
