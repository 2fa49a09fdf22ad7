-- The analyzer takes players with fewer stored games than its ``min_matches_required`` off
-- the queue unscored (new games queue them again). ``players_below_minimum`` lists them, so
-- that after the minimum is lowered the next pass queues again exactly those it now allows
-- (pipeline/analysis/upkeep.py); ``queue_min_games`` is the minimum the last pass used
-- (NULL: not known yet), so that the list is read only when the minimum was lowered.
ALTER TABLE scoring_state ADD COLUMN queue_min_games INTEGER;
CREATE TABLE players_below_minimum (
    puuid VARCHAR NOT NULL
);
