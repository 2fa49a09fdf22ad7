-- Where a run ran, now that runs of one job may run side by side on several machines (a
-- lake shared by workers): the machine, and the platforms the run worked on ("*" for a
-- job that runs once for the whole database; NULL for runs before this).
ALTER TABLE job_executions ADD COLUMN host VARCHAR;
ALTER TABLE job_executions ADD COLUMN shard VARCHAR;
