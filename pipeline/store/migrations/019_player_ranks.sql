-- The analyzer's rank summary (pipeline/analysis/ranks.py): per player and ranked queue,
-- what scoring reads from the rank snapshots (the newest tier, rank and games reported, the
-- first, the peak, when first and last seen). Reading the snapshots of the players a run
-- scores scanned every snapshot (1.1 M rows at 100,000 players: most of a run's feature
-- query); the summary has one row per player and queue.
-- ``folded``: whether a snapshot is already in player_ranks. Writers leave it NULL (no
-- column default: a lake cannot add a column with one); the analyzer folds the snapshots
-- not yet folded in and marks them, in one transaction.
ALTER TABLE rank_snapshots ADD COLUMN folded BOOLEAN;
CREATE TABLE player_ranks (
    puuid                VARCHAR NOT NULL,
    queue_type           VARCHAR NOT NULL,
    tier                 VARCHAR NOT NULL,   -- of the newest ranked snapshot, upper case
    tier_index           INTEGER,
    rank_score           INTEGER,            -- ladder position in LP (analysis.tiers)
    first_rank_score     INTEGER,
    peak_rank_score      INTEGER,
    games_reported       INTEGER,            -- wins + losses
    first_games_reported INTEGER,
    first_observed_at    TIMESTAMP NOT NULL,
    last_observed_at     TIMESTAMP NOT NULL
);
