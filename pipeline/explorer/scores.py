"""Scores as the reports see them: the latest score per player, suspects, what changed.

Every function takes an open connection (``pipeline.store.read``) and returns a DataFrame;
values are bound with ``?`` placeholders, never formatted into SQL.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import duckdb
import pandas as pd

from pipeline.analysis.scoring import (
    ACCOUNT_GONE,
    ACCOUNT_GONE_REASON,
    FEW_GAMES,
    NO_PROFILE,
    NO_PROFILE_REASON,
    OLD_PROFILE,
    reason_kind,
)
from pipeline.analysis.tiers import TIERS
from pipeline.words import counted

FLAGGED_LABELS = ("SMURF", "BOOSTED")
# Labels whose scores measure nothing (too few games): they carry no suspicion at all.
UNJUDGED_LABELS = ("INSUFFICIENT_DATA",)
# The model's constant term: part of every score, never a reason for one.
NOT_A_FACTOR = "prior"


def shown_tier(score: str, player: str) -> str:
    """SQL: the tier of the score row ``score`` as tables show it. Scoring files a player
    whose profile was never read, or whose account is gone, under UNRANKED (its baselines
    have that bucket); shown so, it would read as a player known to have no rank, so it is
    "unknown": when the score says why, or the player (row ``player``) has no profile now."""
    return f"""CASE WHEN {score}.label IS NOT NULL
         AND coalesce({score}.tier, 'UNRANKED') = 'UNRANKED'
         AND ({score}.reason IN ('{NO_PROFILE_REASON}', '{ACCOUNT_GONE_REASON}')
              OR {player}.summoner_checked_at IS NULL OR NOT coalesce({player}.profile_found, true))
        THEN 'unknown' ELSE {score}.tier END"""


# The latest score of each player at or before ``as_of`` (NULL: no limit), with the player.
_LATEST_SCORES = f"""
WITH ranked AS (
    SELECT s.*, row_number() OVER (
        PARTITION BY s.puuid ORDER BY s.scored_at DESC, s.id DESC) AS rn
    FROM smurf_scores s
    WHERE ?::TIMESTAMP IS NULL OR s.scored_at <= ?::TIMESTAMP
)
SELECT r.puuid,
       coalesce(p.game_name || '#' || p.tag_line, r.puuid) AS riot_id,
       p.platform, {shown_tier("r", "p")} AS tier,
       r.label, r.smurf_score, r.boosted_score, r.confidence,
       r.games_analyzed, r.scored_at, r.model_version, r.contributions, r.reason
FROM ranked r LEFT JOIN players p USING (puuid)
WHERE r.rn = 1
  AND (?::VARCHAR IS NULL OR p.platform = ?::VARCHAR)
  AND r.games_analyzed >= ?
"""


def latest_scores(
    con: duckdb.DuckDBPyConnection,
    *,
    platform: str | None = None,
    min_games: int = 0,
    as_of: datetime | None = None,
) -> pd.DataFrame:
    """The latest score of every player (optionally on one platform, as it stood at ``as_of``)."""
    params = [as_of, as_of, platform or None, platform or None, min_games]
    frame = con.execute(_LATEST_SCORES, params).df()
    frame["suspicion"] = suspicion(frame)
    return frame


def first_scored_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the first score in the database was made (UTC); None when there is none."""
    row = con.execute("SELECT min(scored_at) FROM smurf_scores").fetchone()
    return row[0] if row else None


def stored_games(con: duckdb.DuckDBPyConnection) -> int:
    """How many games (matches) the database holds."""
    row = con.execute("SELECT count(*) FROM matches").fetchone()
    return int(row[0]) if row else 0


def nobody_scored_advice(games: int) -> str:
    """What to run when nobody in the database is scored, given how many ``games`` it
    holds: with none, what stores games and then scores them; with some, what scores them
    (telling a database full of games to store games would send the reader the wrong way)."""
    if games == 0:
        return (
            "Store games (`smurf track` and the jobs, or `smurf import-matches`), then run"
            " `smurf analyze` (the scheduler runs all of them on its own)."
        )
    return (
        f"{counted(games, 'game is', 'games are')} stored: run `smurf analyze` (or `smurf run"
        " SMURF_ANALYZER`; the scheduler runs that job on its own) to score their players."
    )


def no_scores_message(
    within: str, as_of: datetime, first_scored: datetime | None, games: int = 0
) -> str:
    """Why no player ``within`` the report's filters has a score at ``as_of``: the time is
    before the first score (``first_scored``), or none was ever made (with what to run,
    given the ``games`` stored), else the filters or a missing analysis."""
    said = f"No player {within} has a score as of {as_of:%Y-%m-%d %H:%M} UTC"
    if first_scored is not None and as_of < first_scored:
        return (
            f"{said}: the first score was made at {first_scored:%Y-%m-%d %H:%M:%S} UTC; "
            "choose a later as_of."
        )
    if first_scored is None:  # lower min_games or another platform would not help
        return f"{said}: nobody in this database is scored yet. {nobody_scored_advice(games)}"
    return f"{said}: lower min_games, check platform, or run `smurf analyze`."


def few_suspects_message(count: int, within: str, label: str = "") -> str:
    """The line over a suspects table shorter than the ``top_n`` its header promised: how
    many players ``within`` the filters are flagged (as ``label``), all of them listed."""
    who = counted(count, f"player {within} is", f"players {within} are")
    return f"Only {who} flagged{f' as {label}' if label else ''}, all listed."


# Why players are INSUFFICIENT_DATA, by kind (``scoring.insufficiency_reasons`` words each
# player's own), and what stores what they lack.
_PROFILE_JOB = "`smurf run PROFILE_REFRESHER` fetches the profiles"
_GAMES_JOB = "`smurf run MATCH_FETCHER` stores more games"


def _reason_kind(reason: object) -> tuple[str, str | None]:
    """The kind of an INSUFFICIENT_DATA ``reason`` in words, and the job that cures it."""
    return {
        NO_PROFILE: ("without a profile (summoner level, league entry) yet", _PROFILE_JOB),
        OLD_PROFILE: ("with a profile too old", _PROFILE_JOB),
        FEW_GAMES: ("with too few ranked games stored", _GAMES_JOB),
        ACCOUNT_GONE: ("whose account summoner-v4 no longer finds", None),
    }.get(reason_kind(reason), ("for another reason", None))


def unjudged_message(latest: pd.DataFrame) -> str | None:
    """Why nobody among ``latest`` (``latest_scores`` rows) could be judged, by how many
    lack what, and what to run; None when somebody is judged or nobody is scored.

    Without it, a database whose profiles were never fetched reads as one where nobody is
    suspicious: "No player is flagged", a blank suspicion chart, an empty explorer."""
    if latest.empty or not latest["label"].isin(UNJUDGED_LABELS).all():
        return None
    kinds = [_reason_kind(reason) for reason in latest["reason"]]
    counts = Counter(what for what, _cure in kinds).most_common()
    lacking = "; ".join(f"{n:,} {what}" for what, n in counts)
    cures = list(dict.fromkeys(cure for _what, cure in kinds if cure))
    advice = (
        f" {', '.join(cures)}; then `smurf analyze` labels them (the scheduler runs both on"
        " its own)."
        if cures
        else ""
    )
    who = (
        "the 1 scored player is" if len(latest) == 1 else f"all {len(latest):,} scored players are"
    )
    return (
        f"Nobody could be judged yet: {who} INSUFFICIENT_DATA ({lacking}).{advice}"
        " `smurf explain PLAYER` says what one player lacks."
    )


def suspicion(frame: pd.DataFrame) -> pd.Series:
    """The larger of the smurf and boosted scores; missing where the label judges nothing."""
    value = frame[["smurf_score", "boosted_score"]].max(axis=1)
    return value.where(~frame["label"].isin(UNJUDGED_LABELS))


def filter_scores(
    scores: pd.DataFrame,
    *,
    tier: str | None = None,
    label: str | None = None,
    min_score: float = 0.0,
) -> pd.DataFrame:
    """The rows of ``scores`` in ``tier`` with ``label`` and suspicion >= ``min_score``.

    Players without a suspicion (too few games) pass only a threshold of zero.
    """
    keep = scores["suspicion"].fillna(0.0) >= min_score
    if tier:
        keep &= scores["tier"] == tier
    if label:
        keep &= scores["label"] == label
    return scores[keep].sort_values("suspicion", ascending=False)


def top_suspects(scores: pd.DataFrame, *, label: str = "", top_n: int = 20) -> pd.DataFrame:
    """The ``top_n`` flagged players (of one label, or any flag) by suspicion, with factors.

    Factor columns are ``contrib_<target>_<factor>``; with one label, only its target's.
    """
    labels = (label,) if label else FLAGGED_LABELS
    flagged = scores[scores["label"].isin(labels)].sort_values("suspicion", ascending=False)
    picked = flagged.head(top_n).reset_index(drop=True)
    # Nobody flagged: the current models' factor columns all the same, so a CSV of no
    # suspects has the columns of one with some.
    factors = contributions_table(picked["contributions"]) if len(picked) else _no_factors()
    if label:
        prefix = f"contrib_{target_of(label)}_"
        factors = factors[[c for c in factors.columns if c.startswith(prefix)]]
    return pd.concat(
        [picked.drop(columns=["contributions", "reason"], errors="ignore"), factors], axis=1
    )


def _no_factors() -> pd.DataFrame:
    """No rows, a ``contrib_<target>_<factor>`` column for each factor of the models."""
    from pipeline.analysis.model import MODELS

    names = [
        f"contrib_{model.target}_{name}" for model in MODELS for name in model.contribution_names
    ]
    return pd.DataFrame({name: pd.Series(dtype=float) for name in names})


def why_no_suspects(latest: pd.DataFrame, *, within: str, label: str = "") -> str:
    """Why a report over ``latest`` (``latest_scores`` rows of the players ``within`` its
    filters) lists no suspect (of ``label``, when given), as a clause."""
    if latest.empty:
        return f"no player {within} is scored (above)"
    if unjudged_message(latest):
        return "nobody could be judged yet (above)"
    return f"no player {within} is labelled {label or 'SMURF or BOOSTED'}"


def no_suspects_sentence(latest: pd.DataFrame, *, within: str, label: str = "") -> str:
    """``why_no_suspects`` as the sentence an empty suspects table shows: a bare "No player
    is flagged" under ``min_games=50`` or ``label=BOOSTED`` read as nobody flagged at all,
    beside flagged players the filters left out."""
    return f"No suspects: {why_no_suspects(latest, within=within, label=label)}."


def suspects_csv_note(count: int, path: str, why_none: str) -> str:
    """What the report says of the suspects CSV it wrote at ``path`` with ``count`` rows;
    with none, that the file holds only its header, ``why_none``, and why it is written."""
    if count:
        return (
            f"Wrote {counted(count, 'suspect', 'suspects')} (every score and factor) to `{path}`."
        )
    return (
        f"Wrote `{path}` with no rows, only its header: {why_none}. It is written all the same,"
        " with the columns of a list of suspects, so a script that reads it after every"
        " report finds it."
    )


def contributions_table(contributions: pd.Series) -> pd.DataFrame:
    """One ``contrib_<target>_<factor>`` column per factor from each score's JSON."""
    rows = [flat_contributions(value) for value in contributions]
    table = pd.DataFrame(rows, index=contributions.index).fillna(0.0)
    table.columns = [f"contrib_{name}" for name in table.columns]
    return table.reset_index(drop=True)


def score_distribution(scores: pd.DataFrame) -> pd.DataFrame:
    """Players per tier (rows, in ladder order) and label (columns), "tier" heading the
    rows in the columns' own header row."""
    table = pd.crosstab(scores["tier"].fillna("UNRANKED"), scores["label"])
    order = [t for t in TIER_ORDER if t in table.index]
    # The rows' name in the columns' header: named on both axes, a rendered table gives the
    # header two rows ("label" over the labels, then "tier" alone beneath it).
    return table.loc[order].rename_axis(index=None, columns="tier")


# "unknown": no profile read yet, or the account is gone (``latest_scores``).
TIER_ORDER = (*TIERS, "UNRANKED", "unknown")


def newly_flagged_heading(count: int, since: datetime, first_scored: datetime | None) -> str:
    """The count of newly flagged players in words, saying when every flag is new because
    nobody had a score yet at ``since`` (a first report: "new" then means "flagged")."""
    said = f"**{count}** newly flagged"
    if count and first_scored is not None and first_scored > since:
        said += (
            f": every flag is new, as nobody had a score yet at {since:%Y-%m-%d %H:%M:%S} UTC "
            f"(the first was made at {first_scored:%Y-%m-%d %H:%M:%S} UTC)"
        )
    return said


_NEWLY_FLAGGED = """
WITH now_flagged AS (
    SELECT puuid, label, smurf_score, boosted_score, tier, scored_at, games_analyzed
    FROM smurf_scores
    WHERE scored_at <= ?::TIMESTAMP
    QUALIFY row_number() OVER (PARTITION BY puuid ORDER BY scored_at DESC, id DESC) = 1
), flagged_before AS (
    SELECT DISTINCT puuid FROM smurf_scores
    WHERE scored_at <= ?::TIMESTAMP AND label IN ('SMURF', 'BOOSTED')
)
SELECT n.puuid, coalesce(p.game_name || '#' || p.tag_line, n.puuid) AS riot_id,
       n.label, n.smurf_score, n.boosted_score, n.tier, n.scored_at
FROM now_flagged n LEFT JOIN players p USING (puuid)
WHERE n.label IN ('SMURF', 'BOOSTED')
  AND n.puuid NOT IN (SELECT puuid FROM flagged_before)
  AND (?::VARCHAR IS NULL OR p.platform = ?::VARCHAR)
  AND coalesce(n.games_analyzed, 0) >= ?
  AND (?::VARCHAR IS NULL OR n.label = ?::VARCHAR)
ORDER BY greatest(n.smurf_score, n.boosted_score) DESC
"""


def newly_flagged(
    con: duckdb.DuckDBPyConnection,
    *,
    since: datetime,
    as_of: datetime,
    platform: str | None = None,
    min_games: int = 0,
    label: str | None = None,
) -> pd.DataFrame:
    """Players flagged at ``as_of`` (on at least ``min_games`` games; with ``label`` only,
    when given) who had never been flagged at ``since``."""
    kind = label or None
    params = [as_of, since, platform or None, platform or None, min_games, kind, kind]
    return con.execute(_NEWLY_FLAGGED, params).df()


_NEWLY_UNAVAILABLE = """
WITH latest AS (
    SELECT * FROM account_checks WHERE checked_at <= ?::TIMESTAMP
    QUALIFY row_number() OVER (PARTITION BY puuid ORDER BY checked_at DESC, id DESC) = 1
), unavailable_before AS (
    SELECT puuid FROM account_checks WHERE checked_at <= ?::TIMESTAMP
    QUALIFY row_number() OVER (PARTITION BY puuid ORDER BY checked_at DESC, id DESC) = 1
        AND status = 'UNAVAILABLE'
)
SELECT l.puuid, coalesce(l.previous_riot_id, p.game_name || '#' || p.tag_line, l.puuid)
           AS riot_id,
       l.checked_at, s.label AS last_label, s.smurf_score, s.boosted_score
FROM latest l
LEFT JOIN players p USING (puuid)
LEFT JOIN latest_smurf_scores s USING (puuid)
WHERE l.status = 'UNAVAILABLE' AND l.puuid NOT IN (SELECT puuid FROM unavailable_before)
  AND (?::VARCHAR IS NULL OR p.platform = ?::VARCHAR)
ORDER BY l.checked_at DESC
"""


def newly_unavailable(
    con: duckdb.DuckDBPyConnection,
    *,
    since: datetime,
    as_of: datetime,
    platform: str | None = None,
) -> pd.DataFrame:
    """Accounts whose latest check at ``as_of`` says UNAVAILABLE but did not at ``since``."""
    params = [as_of, since, platform or None, platform or None]
    return con.execute(_NEWLY_UNAVAILABLE, params).df()


# The label is the last one given at or before ``as_of``, as the rest of a report reads it.
_GONE_ACCOUNTS = """
WITH scored AS (
    SELECT puuid, label FROM smurf_scores WHERE scored_at <= ?::TIMESTAMP
    QUALIFY row_number() OVER (PARTITION BY puuid ORDER BY scored_at DESC, id DESC) = 1
)
SELECT p.puuid, coalesce(p.game_name || '#' || p.tag_line, p.puuid) AS riot_id,
       p.summoner_checked_at AS checked_at, s.label AS last_label
FROM players p
JOIN scored s USING (puuid)
WHERE p.profile_found = false AND p.summoner_checked_at <= ?::TIMESTAMP
  AND (?::VARCHAR IS NULL OR p.platform = ?::VARCHAR)
ORDER BY p.summoner_checked_at DESC, p.puuid
"""


def gone_accounts(
    con: duckdb.DuckDBPyConnection, *, as_of: datetime, platform: str | None = None
) -> pd.DataFrame:
    """Scored players whose profile refresh (by ``as_of``) no longer found the account:
    banned or deleted. They are never labelled (too little is known), so the ban checker,
    which checks labelled players, never lists them; the evaluation's "account gone" bucket
    counts the same players. ``last_label`` is the label of the last scoring by ``as_of``.
    Only a profile's latest check is stored: an account checked again after ``as_of`` is
    judged by that check, or left out when it came later."""
    return con.execute(_GONE_ACCOUNTS, [as_of, as_of, platform or None, platform or None]).df()


def flat_contributions(value: object) -> dict[str, float]:
    """A stored contributions JSON as ``{"<target>_<factor>": value}``.

    Scores store ``{"smurf": {factor: value}, "boosted": {factor: value}}``; a flat
    ``{factor: value}`` object is accepted as is.
    """
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        return {}
    flat: dict[str, float] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            flat.update({f"{key}_{k}": float(v) for k, v in item.items() if _is_factor(k, v)})
        elif _is_factor(key, item):
            flat[str(key)] = float(item)
    return flat


def target_contributions(value: object, target: str) -> dict[str, float]:
    """The contributions towards one target (``smurf`` or ``boosted``), by factor."""
    if isinstance(value, str):
        value = json.loads(value)
    if isinstance(value, dict) and isinstance(value.get(target), dict):
        return {str(k): float(v) for k, v in value[target].items() if _is_factor(k, v)}
    return flat_contributions(value)


def target_of(label: object) -> str:
    """Which score explains a label: the boosted score for BOOSTED, else the smurf score."""
    return "boosted" if label == "BOOSTED" else "smurf"


def _is_factor(name: object, value: object) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and name != NOT_A_FACTOR


def label_score(label: object, smurf_score: object, boosted_score: object) -> float | None:
    """The score behind a label: boosted for BOOSTED, smurf otherwise; none when unjudged."""
    if label in UNJUDGED_LABELS:
        return None
    value = boosted_score if target_of(label) == "boosted" else smurf_score
    return float(value) if isinstance(value, int | float) and not pd.isna(value) else None


def top_factors(contributions: dict[str, float], target: str, *, count: int = 3) -> str:
    """The factors that pushed the ``target`` score up most, in words:
    ``lobby stomps +0.45 · few season games +0.12`` (``model.factor_phrase``)."""
    from pipeline.analysis.model import factor_phrase

    pushing = sorted(
        ((name, value) for name, value in contributions.items() if value > 0),
        key=lambda item: item[1],
        reverse=True,
    )
    return " · ".join(
        f"{factor_phrase(target, name, value)} +{value:.2f}" for name, value in pushing[:count]
    )


def accounts_for_readers(frame: pd.DataFrame, checked: str) -> pd.DataFrame:
    """Accounts (``newly_unavailable``, ``gone_accounts``) as a reader wants them: Riot ID,
    when the account was checked (a column titled ``checked``) and its last label."""
    from pipeline.explorer.present import moment

    return pd.DataFrame(
        {
            "Riot ID": frame["riot_id"],
            checked: frame["checked_at"].map(moment),
            "last label": frame["last_label"],
        }
    )


def for_readers(frame: pd.DataFrame) -> pd.DataFrame:
    """Players as a reader wants them: Riot ID, tier, label, score (%), top factors first.

    Works on any frame of players with ``riot_id``, ``label`` and the two scores; the top
    factors come from ``contributions`` or ``contrib_<target>_<factor>`` columns, so new
    factors show up without code changes. Machine columns (puuid, raw scores) stay out.
    """
    from pipeline.explorer.present import percent

    rows = frame.reset_index(drop=True)
    table = pd.DataFrame(
        {
            "Riot ID": rows["riot_id"],
            "tier": rows["tier"].fillna("UNRANKED") if "tier" in rows else "",
            "label": rows["label"],
            "score": [
                percent(label_score(r.label, r.smurf_score, r.boosted_score))
                for r in rows.itertuples(index=False)
            ],
        }
    )
    factors = _factors_by_row(rows)
    if factors is not None:
        table["top factors"] = factors
    for column, title in (("games_analyzed", "games"), ("platform", "platform")):
        if column in rows:
            table[title] = rows[column]
    if "scored_at" in rows:
        table["scored"] = pd.to_datetime(rows["scored_at"]).dt.strftime("%Y-%m-%d %H:%M")
    return table


def _factors_by_row(rows: pd.DataFrame) -> list[str] | None:
    if "contributions" in rows:
        return [
            top_factors(target_contributions(value, target_of(label)), target_of(label))
            for value, label in zip(rows["contributions"], rows["label"], strict=True)
        ]
    columns = [c for c in rows.columns if str(c).startswith("contrib_")]
    if not columns:
        return None
    found = []
    for _, row in rows.iterrows():
        target = target_of(row["label"])
        prefix = f"contrib_{target}_"
        mine = {c.removeprefix(prefix): float(row[c]) for c in columns if c.startswith(prefix)}
        found.append(top_factors(mine, target))
    return found
