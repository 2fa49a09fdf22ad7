-- The nightly report: runs notebooks/01-smurf-report with papermill after the ban check,
-- writes the executed notebook, its HTML and the suspects CSV to data/reports, and keeps
-- the newest 30 reports. Operators change it with `smurf jobs set`.
INSERT INTO job_configurations (job_type, name, schedule, is_active, config_json) VALUES
('NOTEBOOK_REPORT', 'Nightly smurf report', 'cron(30 5 * * *)', true,
 '{"notebook": "01-smurf-report", "parameters": {}, "output_dir": "data/reports", "keep_last": 30, "timeout_seconds": 1800}');
