-- The sums also hold each game's lobby z squared (store/aggregates.py), so the boosted
-- score can read how far a player's play swings beyond what its results explain: an
-- account two people play (a friend some days, a booster then the owner) is strong in some
-- games and weak in others whatever the result. A row merged from several games cannot be
-- split again, so every sum is rebuilt from the stored games after this runs (migrate.py),
-- and the analyzer's score inputs are summed again. (No column default: a lake cannot add
-- a column with one.)
ALTER TABLE player_game_sums ADD COLUMN lobby_z_sq DECIMAL(18, 6);
ALTER TABLE player_score_inputs ADD COLUMN lobby_z_sq DOUBLE;
