-- MATCH_FETCHER's history pages list ranked solo games only (queue 420), where they listed
-- every queue: an index into the old list does not point into the new one (it counted the
-- other queues' games too), and the ranked games a player has stored may come from other
-- players' games or from their first games, not from the pages read. A player part-way
-- through their history starts the ranked list again from its newest end: that only lists
-- ids again (a request per page), and the matches already stored are not fetched again.
UPDATE players
SET history_start_index = 0
WHERE history_start_index > 0 AND NOT history_exhausted;
