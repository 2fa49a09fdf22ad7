-- Ban checks keep the evidence their status rests on, each as a column of its own, and where
-- the account was looked for: a transfer moves a player to another platform.
ALTER TABLE account_checks ADD COLUMN platform VARCHAR;           -- where summoner-v4 was asked (the new one after a transfer)
ALTER TABLE account_checks ADD COLUMN previous_platform VARCHAR;  -- the stored platform, before a transfer
ALTER TABLE account_checks ADD COLUMN ranked_entries_gone BOOLEAN;  -- ranked entries before, none now
ALTER TABLE account_checks ADD COLUMN history_frozen BOOLEAN;       -- the newest game is the one seen before
ALTER TABLE account_checks ADD COLUMN level_unchanged BOOLEAN;      -- the summoner level is the one seen before

-- UNAVAILABLE is no longer final: such accounts are checked again, less often than others,
-- so a suspension that ends is noticed. Operators change it with `smurf jobs set`.
UPDATE job_configurations
SET config_json = json_merge_patch(config_json, '{"unavailable_recheck_days": 14}')
WHERE job_type = 'BAN_CHECKER';
