-- MATCH_FETCHER sizes a run from the key: after discovered_players_per_run players it goes on,
-- that many at a time, while its requests stay under key_share_percent of what the rate
-- limits the API states allow until the next run. The seeded 25 players every 5 minutes
-- used a few percent of a production key. A configuration that names the key already keeps
-- its value; `smurf jobs set MATCH_FETCHER key_share_percent=0` stops every run at
-- discovered_players_per_run, as before.
UPDATE job_configurations
SET config_json = json_merge_patch(config_json, '{"key_share_percent": 40}')
WHERE job_type = 'MATCH_FETCHER' AND json_extract(config_json, '$.key_share_percent') IS NULL;
