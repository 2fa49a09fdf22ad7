-- MATCH_FETCHER can read a new-account suspect's first ranked games once, from the oldest
-- end of its history, where a newcomer's learning shows and a smurf is already strong; the
-- history pages read from the newest end and seldom get there. Off by default (the boosted
-- score loses by it, see pipeline/jobs/match_fetcher.py). When those first games were
-- stored (NULL: not yet).
ALTER TABLE players ADD COLUMN first_games_fetched_at TIMESTAMP;

UPDATE job_configurations
SET config_json = json_merge_patch(config_json, '{"first_games_of_new_suspects": false}')
WHERE job_type = 'MATCH_FETCHER';
