-- Lake maintenance: on a DuckLake, merges small files, rewrites files with many deleted rows,
-- expires old snapshots and deletes files nothing needs any more; on a DuckDB file it has
-- nothing to do. Operators change it with `smurf jobs set`.
INSERT INTO job_configurations (job_type, name, schedule, is_active, config_json) VALUES
('LAKE_MAINTENANCE', 'Lake maintenance', 'cron(45 * * * *)', true,
 '{"rewrite_delete_threshold": 0.1, "expire_snapshots_after_hours": 24, "delete_files_after_hours": 1, "timeout_seconds": 1800}');
