-- MATCH_FETCHER reads a new-account suspect's first ranked games by default: the boosted
-- score now judges a fall week by week (022), so games further back no longer hide it, and
-- the smurf score gains by them (README, "Measured as deployed"). Every MATCH_FETCHER
-- configuration is set, an explicit false included: 021 wrote false into all of them, so a
-- choice cannot be told from the seed. Turn it off again with
-- `smurf jobs set MATCH_FETCHER first_games_of_new_suspects=false`.
UPDATE job_configurations
SET config_json = json_merge_patch(config_json, '{"first_games_of_new_suspects": true}')
WHERE job_type = 'MATCH_FETCHER';
