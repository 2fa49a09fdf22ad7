-- file only: a lake has no keys to drop.
-- The weeks played without their key: writers append each batch's weeks (a week already
-- stored may come again: readers take each week once, compaction merges) instead of reading
-- the whole table on every batch to leave out the weeks it holds (15 ms of a 100-match batch
-- at 2.1 M weeks, 6.2 M games, and growing), and DuckDB no longer writes the key's index
-- back to the file at every checkpoint. Same columns, same order.
CREATE TEMP TABLE player_game_weeks_kept AS SELECT * FROM player_game_weeks;
DROP TABLE player_game_weeks;
CREATE TABLE player_game_weeks (
    puuid                        VARCHAR NOT NULL,
    queue_id                     INTEGER NOT NULL,
    week                         DATE NOT NULL,
    folded                       BOOLEAN
);
INSERT INTO player_game_weeks SELECT puuid, queue_id, week, folded FROM player_game_weeks_kept;
DROP TABLE player_game_weeks_kept;
