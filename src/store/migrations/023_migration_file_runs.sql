-- What happened to each migration file of a target database, per environment, as the migrate runbook ran
-- it (postgres.migrate): its checksum, whether it was a dry run (applied, then rolled back) and how it went.
-- A prod migration plan reads it to say whether each pending file (by checksum) succeeded on the
-- environment it promotes from (environments.<env>.settings.promotesFrom), whether a file was edited since
-- it ran elsewhere, and how the last dry run on prod went. Kept in opsroom's store, not the target
-- database's own table: prod's plan needs no connection to staging, and dry runs and failures (which leave
-- nothing in the target) are remembered too.
CREATE TABLE migration_file_runs (
  id           bigserial PRIMARY KEY,
  env          text NOT NULL,
  file_name    text NOT NULL,
  checksum     text NOT NULL,
  -- ok: the file's SQL ran (committed, or rolled back on a dry run); failed: it raised an error;
  -- rolled_back: it ran, but another file of the same attempt failed, so nothing was kept.
  outcome      text NOT NULL CHECK (outcome IN ('ok', 'failed', 'rolled_back')),
  dry_run      boolean NOT NULL,
  -- The whole attempt's duration (every file of one run_id has the same), and a failed file's error.
  duration_ms  integer NOT NULL CHECK (duration_ms >= 0),
  error        text,
  run_id       uuid,
  at           timestamptz NOT NULL
);

CREATE INDEX migration_file_runs_by_file ON migration_file_runs (file_name, env, at DESC);
CREATE INDEX migration_file_runs_by_env ON migration_file_runs (env, dry_run, at DESC);
