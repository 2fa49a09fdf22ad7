-- MATCH_FETCHER reads a profile (summoner-v4, league-v4) stored less than
-- profile_reuse_hours ago from the player's row instead of asking for it again with every
-- history page: PROFILE_REFRESHER has just profiled many of the fetcher's players, and a
-- player takes several runs to reach the target. 24 h is the age at which the refresher
-- refreshes a profile by default. A configuration that names the key already keeps its
-- value; `smurf jobs set MATCH_FETCHER profile_reuse_hours=0` asks every time, as before.
UPDATE job_configurations
SET config_json = json_merge_patch(config_json, '{"profile_reuse_hours": 24}')
WHERE job_type = 'MATCH_FETCHER' AND json_extract(config_json, '$.profile_reuse_hours') IS NULL;
