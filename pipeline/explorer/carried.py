"""Players a suspected smurf carries: most of their games on one team with an account
labelled SMURF.

The models judge each account by its own games. A client a booster carries in duo (a paid
duo boost, the booster on a new account that reads as a smurf's) plays as it always did, and
it is rated where its wins put it: nothing in its own games says boosted, and BOOSTED
labels almost never caught one on the three stand-in worlds written outside the project
that had them.
The sign is in whom it plays with. This is a lead for analysts, not a label: a friend
whose smurf carries them and a paying client look the same in the games.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from pipeline.analysis.params import DEFAULT_PARAMS
from pipeline.explorer.scores import shown_tier
from pipeline.store.aggregates import PLAYED
from pipeline.store.writers import registered_frame

# Plays in duo: at least this share of the player's games on the same team as one account,
# and at least DUO_MIN_TOGETHER of them (two games together happen by chance now and then).
DUO_SHARE = 0.5
DUO_MIN_TOGETHER = 5

_GAMES = f"""
    SELECT puuid, match_id, team_id FROM match_participants
    WHERE list_contains($queues, queue_id) AND {PLAYED}
      AND ($as_of::TIMESTAMP IS NULL OR game_start <= $as_of::TIMESTAMP)"""

_LATEST = """
    SELECT puuid, label, smurf_score, boosted_score, tier, reason FROM smurf_scores
    WHERE $as_of::TIMESTAMP IS NULL OR scored_at <= $as_of::TIMESTAMP
    QUALIFY row_number() OVER (PARTITION BY puuid ORDER BY scored_at DESC, id DESC) = 1"""

_RIOT_ID = "coalesce({p}.game_name || '#' || {p}.tag_line, {puuid})"

# Each player's same-team games with an account labelled SMURF, kept where that partner
# had at least DUO_SHARE of the player's games; the partner with the most, when several.
_CARRIED = """
WITH games AS ({games}),
latest AS ({latest}),
smurf_games AS (
    SELECT g.match_id, g.team_id, g.puuid AS partner
    FROM games g JOIN latest l USING (puuid) WHERE l.label = 'SMURF'
),
together AS (
    SELECT g.puuid, s.partner, count(*) AS together
    FROM games g JOIN smurf_games s
      ON s.match_id = g.match_id AND s.team_id = g.team_id AND s.partner <> g.puuid
    GROUP BY ALL HAVING count(*) >= $min_together
),
played AS (
    SELECT puuid, count(*) AS games FROM games
    WHERE puuid IN (SELECT puuid FROM together) GROUP BY puuid
)
SELECT t.puuid, {riot_id} AS riot_id, p.platform,
       coalesce({tier}, 'unknown') AS tier,
       me.label, me.smurf_score, me.boosted_score,
       n.games, t.together, t.together / n.games AS share,
       t.partner, {partner_riot_id} AS partner_riot_id,
       partner.smurf_score AS partner_smurf_score
FROM together t
JOIN played n USING (puuid)
LEFT JOIN players p ON p.puuid = t.puuid
LEFT JOIN players q ON q.puuid = t.partner
LEFT JOIN latest me ON me.puuid = t.puuid
LEFT JOIN latest partner ON partner.puuid = t.partner
WHERE n.games >= $min_games AND t.together >= $share * n.games
  AND coalesce(me.label, '') <> 'SMURF'
  AND ($platform::VARCHAR IS NULL OR p.platform = $platform::VARCHAR)
QUALIFY row_number() OVER (PARTITION BY t.puuid ORDER BY t.together DESC, t.partner) = 1
ORDER BY share DESC, t.together DESC, t.puuid
"""


def carried_players(
    con: duckdb.DuckDBPyConnection,
    *,
    min_games: int = DUO_MIN_TOGETHER,
    platform: str | None = None,
    as_of: datetime | None = None,
    queues: Sequence[int] = DEFAULT_PARAMS.queues,
    labels: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Players not labelled SMURF who played at least DUO_SHARE of their games (at least
    ``min_games`` of ``queues``, remakes aside) on the same team as one account labelled
    SMURF, the largest share first, with that partner. Labels are the latest stored by
    ``as_of`` (None: now), or ``labels`` when given (a frame of scores as
    ``score_frame`` makes them: puuid, label, smurf_score, boosted_score, tier, reason);
    games those played by then."""
    params = {
        "queues": list(queues),
        "as_of": as_of,
        "min_together": DUO_MIN_TOGETHER,
        "min_games": max(min_games, DUO_MIN_TOGETHER),
        "share": DUO_SHARE,
        "platform": platform or None,
    }
    if labels is None:
        return con.execute(_carried_sql(_LATEST), params).df()
    columns = ["puuid", "label", "smurf_score", "boosted_score", "tier", "reason"]
    with registered_frame(con, labels[columns]) as (given, _columns):
        given_labels = (
            "SELECT puuid, CAST(label AS VARCHAR) AS label, smurf_score, boosted_score,"
            f" CAST(tier AS VARCHAR) AS tier, CAST(reason AS VARCHAR) AS reason FROM {given}"
        )
        return con.execute(_carried_sql(given_labels), params).df()


def _carried_sql(latest: str) -> str:
    return _CARRIED.format(
        games=_GAMES,
        latest=latest,
        riot_id=_RIOT_ID.format(p="p", puuid="t.puuid"),
        tier=shown_tier("me", "p"),
        partner_riot_id=_RIOT_ID.format(p="q", puuid="t.partner"),
    )


def carried_for_readers(frame: pd.DataFrame) -> pd.DataFrame:
    """``carried_players`` as a reader wants it: who, their own label, how many games with
    whom, and how strongly that partner reads as a smurf."""
    from pipeline.explorer.present import percent

    return pd.DataFrame(
        {
            "Riot ID": frame["riot_id"],
            "tier": frame["tier"],
            "label": frame["label"].fillna("not scored"),
            "boosted score": frame["boosted_score"].map(percent),
            "games": frame["games"],
            "with the partner": [
                f"{t} ({s:.0%})" for t, s in zip(frame["together"], frame["share"], strict=True)
            ],
            "partner (SMURF)": frame["partner_riot_id"],
            "partner's smurf score": frame["partner_smurf_score"].map(percent),
        }
    )


@dataclass(frozen=True)
class DuoPartner:
    """The account a player shares the most games with, on the same team."""

    puuid: str
    riot_id: str
    together: int
    games: int
    label: str | None
    smurf_score: float | None

    @property
    def share(self) -> float:
        return self.together / self.games if self.games else 0.0

    def sentence(self) -> str:
        """In words, for ``smurf explain``."""
        known = (
            f"labelled {self.label}, smurf score {self.smurf_score:.2f}"
            if self.label and self.smurf_score is not None
            else "not scored"
        )
        said = (
            f"plays in duo: {self.together} of {self.games} games on the same team as "
            f"{self.riot_id} ({known})"
        )
        if self.label == "SMURF":
            said += (
                "; a suspected smurf carries this account"
                " (paid or a friend's: the games cannot tell)"
            )
        return said


_DUO_PARTNER = f"""
WITH games AS ({_GAMES}),
mine AS (SELECT match_id, team_id FROM games WHERE puuid = $puuid),
latest AS ({_LATEST})
SELECT g.puuid, {_RIOT_ID.format(p="p", puuid="g.puuid")} AS riot_id, count(*) AS together,
       (SELECT count(*) FROM mine) AS games,
       any_value(l.label) AS label, any_value(l.smurf_score) AS smurf_score
FROM mine m
JOIN games g ON g.match_id = m.match_id AND g.team_id = m.team_id AND g.puuid <> $puuid
LEFT JOIN players p ON p.puuid = g.puuid
LEFT JOIN latest l ON l.puuid = g.puuid
GROUP BY g.puuid, p.puuid, p.game_name, p.tag_line
ORDER BY together DESC, g.puuid
LIMIT 1
"""


def duo_partner(
    con: duckdb.DuckDBPyConnection,
    puuid: str,
    *,
    as_of: datetime | None = None,
    queues: Sequence[int] = DEFAULT_PARAMS.queues,
) -> DuoPartner | None:
    """The account ``puuid`` played at least DUO_SHARE of its games (of ``queues``, by
    ``as_of``) with on the same team, at least DUO_MIN_TOGETHER of them; None when none."""
    row = con.execute(
        _DUO_PARTNER, {"queues": list(queues), "as_of": as_of, "puuid": puuid}
    ).fetchone()
    if row is None:
        return None
    partner = DuoPartner(
        puuid=str(row[0]),
        riot_id=str(row[1]),
        together=int(row[2]),
        games=int(row[3]),
        label=None if row[4] is None else str(row[4]),
        smurf_score=None if row[5] is None else float(row[5]),
    )
    if partner.together < DUO_MIN_TOGETHER or partner.share < DUO_SHARE:
        return None
    return partner
