-- file only: a lake has no keys to drop.
-- The scoring queue without its key index. DuckDB decides at each commit whether to
-- checkpoint from the log's size plus a guess of what the commit adds, and rows added to a
-- keyed table count there with their index's in-memory size (20 players queued: 0.5-1 MB,
-- against 1 KB without the key; the threshold is 2 MB, see ``connection``). Queueing a
-- batch's players into the keyed queue made nearly every commit of new matches a
-- checkpoint (40 of 50 commits of 20 matches, against 25 without the key and 20 without
-- the aggregates). A player is still queued only when not queued already
-- (``aggregates.enqueue_players``), but two transactions of one process running side by
-- side may now both queue a new player: the analyzer takes each player once, as first
-- queued, and takes off only the rows queued before it read them (``analysis.upkeep``).
CREATE TEMP TABLE players_to_score_kept AS SELECT * FROM players_to_score;
DROP TABLE players_to_score;
CREATE TABLE players_to_score (
    puuid                        VARCHAR NOT NULL,
    queued_at                    TIMESTAMP NOT NULL
);
INSERT INTO players_to_score SELECT puuid, queued_at FROM players_to_score_kept;
DROP TABLE players_to_score_kept;
