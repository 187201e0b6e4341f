-- When a feed whose stream is a job (a POST that streams its answer) finished: it is not run
-- again until someone asks, across restarts of the resident.
ALTER TABLE resume_state ADD COLUMN finished_at INTEGER;
