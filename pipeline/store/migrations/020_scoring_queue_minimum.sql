-- The fewest stored games the analyzer's last pass required (its ``min_matches_required``).
-- A pass takes players with fewer games off the queue unscored (new games queue them
-- again); after that minimum is lowered, the next pass queues again the players it would
-- now score but an earlier, higher minimum took off (pipeline/analysis/upkeep.py).
-- NULL: not known yet (recorded by the next pass).
ALTER TABLE scoring_state ADD COLUMN queue_min_games INTEGER;
