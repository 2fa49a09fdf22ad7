-- PROFILE_REFRESHER sizes a run from the key: when the rate limits the API states allow
-- more, a run profiles up to key_share_percent of what they allow between two runs, instead
-- of stopping at max_profiles_per_run. A production key's crawl found players faster than
-- 200 profiles every 5 minutes could follow, and a player without a profile is never judged.
-- A configuration that names the key already keeps its value; `smurf jobs set
-- PROFILE_REFRESHER key_share_percent=0` keeps every run at max_profiles_per_run, as before.
UPDATE job_configurations
SET config_json = json_merge_patch(config_json, '{"key_share_percent": 50}')
WHERE job_type = 'PROFILE_REFRESHER' AND json_extract(config_json, '$.key_share_percent') IS NULL;
