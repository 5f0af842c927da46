-- Slack front end bookkeeping. Slack redelivers an event it thinks was missed (up to 3 times) and a
-- person can click a button twice; with several bot processes on one database, each delivery may land
-- on any of them. A reply that is not a run (help, a question, a thread reply) is sent by whoever
-- inserts its key first; runs themselves are deduplicated by runs.idempotency_key.
CREATE TABLE slack_deliveries (
  key         text PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slack_deliveries_created ON slack_deliveries (created_at);

-- One process keeps a run's Slack status message up to date: the one holding the lease. A process that
-- stops renewing (crash, network split) loses its runs after the lease, and another one adopts them.
-- finished_at is set once the final state and the summary were delivered.
CREATE TABLE slack_run_reporters (
  run_id       uuid PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  owner        text NOT NULL,
  lease_until  timestamptz NOT NULL,
  finished_at  timestamptz
);
CREATE INDEX slack_run_reporters_open ON slack_run_reporters (lease_until) WHERE finished_at IS NULL;
