-- Recurring schedules and watches. A schedule fires a normal run (through the runs queue) at each
-- occurrence of its cron pattern; a watch compares each reading with the last and alerts on change.
-- Exactly once per occurrence across processes: a process fires an occurrence only after moving next_at
-- from the value it read (one UPDATE wins) and inserting (schedule_id, occurrence_at), the primary key.
CREATE TABLE schedules (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Watches declared in the config file are kept in step with it under their config id.
  config_key         text UNIQUE,
  -- A retried Slack delivery of "every weekday at 9am …" returns the schedule it created the first time.
  idempotency_key    text UNIQUE,
  kind               text NOT NULL CHECK (kind IN ('run', 'watch')),
  -- What is read at each occurrence: a runbook run, or one of opsroom's own tables.
  source             text NOT NULL DEFAULT 'run' CHECK (source IN ('run', 'worker-heartbeats', 'stuck-approvals')),
  cron               text NOT NULL,
  cadence            text NOT NULL,
  time_zone          text NOT NULL,
  request            text NOT NULL,
  runbook            text,
  plan               jsonb,
  channel            text,
  owner              text,
  -- Watches: which of a reading's items to follow (a name or section of the board); empty: all of them.
  follow             text[] NOT NULL DEFAULT '{}',
  -- Watches: consecutive readings before a change counts, and the least time between two alerts.
  confirm_count      integer NOT NULL DEFAULT 1 CHECK (confirm_count BETWEEN 1 AND 20),
  quiet_minutes      integer NOT NULL DEFAULT 0 CHECK (quiet_minutes >= 0),
  status             text NOT NULL CHECK (status IN ('pending_approval', 'active', 'stopped')),
  required_approvals integer NOT NULL DEFAULT 0,
  self_approval      boolean NOT NULL DEFAULT true,
  approved_by        text[] NOT NULL DEFAULT '{}',
  created_by         text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  stopped_by         text,
  stopped_at         timestamptz,
  silenced_until     timestamptz,
  next_at            timestamptz,
  -- The newest occurrence whose reading a watch has taken in (readings arriving out of order are ignored).
  last_reading_at    timestamptz
);
CREATE INDEX schedules_due ON schedules (next_at) WHERE status = 'active';

-- One row per occurrence handled: fired (run_id) or, when opsroom was down, the occurrences skipped up
-- to it (skipped > 0), which are reported once (skip_reported_at).
CREATE TABLE schedule_occurrences (
  schedule_id        uuid NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  occurrence_at      timestamptz NOT NULL,
  fired              boolean NOT NULL,
  skipped            integer NOT NULL DEFAULT 0,
  skipped_from       timestamptz,
  run_id             uuid REFERENCES runs (id),
  claimed_by         text NOT NULL,
  -- When (by the claimer's clock) it was claimed: a fired occurrence still without a run long after is
  -- taken over by another process (its claimer died between the claim and the run).
  claimed_at         timestamptz NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  skip_reported_at   timestamptz,
  read_at            timestamptz,
  PRIMARY KEY (schedule_id, occurrence_at)
);
CREATE INDEX schedule_occurrences_unreported ON schedule_occurrences (created_at) WHERE skipped > 0 AND skip_reported_at IS NULL;
CREATE INDEX schedule_occurrences_unstarted ON schedule_occurrences (claimed_at) WHERE fired AND run_id IS NULL AND read_at IS NULL;
CREATE INDEX schedule_occurrences_unread ON schedule_occurrences (run_id) WHERE run_id IS NOT NULL AND read_at IS NULL;

-- What a watch last knew of each thing it follows.
CREATE TABLE watch_states (
  schedule_id      uuid NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  item_key         text NOT NULL,
  state            jsonb NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schedule_id, item_key)
);

-- One alert per confirmed change (the reading's occurrence names it), delivered by whichever process
-- claims it first; a claim older than two minutes without delivery is taken over.
CREATE TABLE watch_alerts (
  id               bigserial PRIMARY KEY,
  schedule_id      uuid NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  occurrence_at    timestamptz NOT NULL,
  item_key         text NOT NULL,
  alert            jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  claimed_by       text,
  claimed_at       timestamptz,
  delivered_at     timestamptz,
  UNIQUE (schedule_id, occurrence_at, item_key)
);
CREATE INDEX watch_alerts_undelivered ON watch_alerts (id) WHERE delivered_at IS NULL;
