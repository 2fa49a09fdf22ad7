-- MATCH_FETCHER's history pages list ranked solo games only (queue 420), where they listed
-- every queue: a player part-way through their history goes on from as many ranked solo
-- games as are stored of them, never further than before. An index into the old list
-- would skip the ranked games between (it counted the other queues' games too); starting
-- lower only lists ids again, and the stored matches among them are not fetched again.
UPDATE players
SET history_start_index = least(
    history_start_index,
    (SELECT count(*) FROM match_participants mp
     WHERE mp.puuid = players.puuid AND mp.queue_id = 420)
)
WHERE history_start_index > 0 AND NOT history_exhausted;
