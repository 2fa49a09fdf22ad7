-- What scoring needs to know about a player beyond their games: the solo-queue league entry
-- (tier, LP, this season's wins and losses: the real number of ranked games played) and the
-- summoner level, as of the last summoner-v4 + league-v4 answer (`summoner_checked_at`).
-- The solo columns are NULL when the last answer had no solo entry (unranked this season).
ALTER TABLE players ADD COLUMN profile_found BOOLEAN;      -- false: summoner-v4 answered 404
ALTER TABLE players ADD COLUMN solo_tier VARCHAR;
ALTER TABLE players ADD COLUMN solo_division VARCHAR;
ALTER TABLE players ADD COLUMN solo_league_points INTEGER;
ALTER TABLE players ADD COLUMN solo_wins INTEGER;
ALTER TABLE players ADD COLUMN solo_losses INTEGER;

-- Why a player could not be labelled (INSUFFICIENT_DATA), in words; NULL otherwise.
ALTER TABLE smurf_scores ADD COLUMN reason VARCHAR;
CREATE OR REPLACE VIEW latest_smurf_scores AS
SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (PARTITION BY puuid ORDER BY scored_at DESC, id DESC) AS rn
    FROM smurf_scores
) WHERE rn = 1;

-- Fetches the profile of players about to be scored, newest-relevant first.
INSERT INTO job_configurations (job_type, name, schedule, is_active, config_json) VALUES
('PROFILE_REFRESHER', 'Profile refresher', 'interval(seconds=300)', true,
 '{"max_profiles_per_run": 200, "refresh_after_hours": 24, "min_matches_required": 5, "timeout_seconds": 900}');

-- MATCH_FETCHER spends part of each run on the most suspicious players below the target:
-- a label needs more than a handful of games.
UPDATE job_configurations
SET config_json = json_merge_patch(config_json, '{"suspects_per_run": 10, "suspect_score_percent": 30}')
WHERE job_type = 'MATCH_FETCHER';
