-- The four job configurations of the background job system, with their defaults.
-- Seeded here, never by start-up code; operators change them with `smurf jobs set`.
INSERT INTO job_configurations (job_type, name, schedule, is_active, config_json) VALUES
('TRACKED_PLAYER_UPDATER', 'Tracked player updater', 'interval(seconds=120)', true,
 '{"max_new_matches_per_player": 20, "max_tracked_players": 50, "timeout_seconds": 600}'),
('MATCH_FETCHER', 'Match fetcher', 'interval(seconds=300)', true,
 '{"discovered_players_per_run": 25, "matches_per_player_per_run": 20, "target_matches_per_player": 60, "timeout_seconds": 900}'),
('SMURF_ANALYZER', 'Smurf analyzer', 'interval(seconds=600)', true,
 '{"unanalyzed_players_per_run": 5000, "min_matches_required": 5, "timeout_seconds": 900}'),
('BAN_CHECKER', 'Ban checker', 'cron(0 4 * * *)', true,
 '{"ban_check_days": 7, "max_checks_per_run": 100, "timeout_seconds": 900}');
