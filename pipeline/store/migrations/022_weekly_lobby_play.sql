-- The weeks played also say how play against the lobby went in each: the games in a
-- regular lobby and their lobby z summed (store/aggregates.py), so the boosted score can
-- judge a fall from the player's best week to the newest, whatever span of games is
-- stored. Filled from the stored games after this runs (migrate.py); the analyzer's score
-- inputs carry the same per week, and are summed again. (No column default: a lake cannot
-- add a column with one.)
ALTER TABLE player_game_weeks ADD COLUMN lobby_games BIGINT;
ALTER TABLE player_game_weeks ADD COLUMN lobby_z_sum DECIMAL(18, 6);
ALTER TABLE player_score_inputs ADD COLUMN week_lobby_games BIGINT[];
ALTER TABLE player_score_inputs ADD COLUMN week_lobby_z DECIMAL(18, 6)[];
