-- Runs, approvals, run events, artifacts and workers. The run lifecycle is enforced here, in the
-- database, so no caller (or bug) can approve a cancelled run or finish a run twice.

CREATE TABLE runs (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  runbook             text NOT NULL,
  title               text NOT NULL,
  params              jsonb NOT NULL DEFAULT '{}',
  plan                jsonb NOT NULL,
  plan_hash           text NOT NULL,
  env                 text,
  service             text,
  mutating            boolean NOT NULL,
  status              text NOT NULL CHECK (status IN
                        ('pending_approval', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'rejected', 'expired')),
  requested_by        text NOT NULL,
  source              text NOT NULL,
  origin              jsonb NOT NULL DEFAULT '{}',
  idempotency_key     text UNIQUE,
  lock_key            text,
  required_approvals  integer NOT NULL DEFAULT 0 CHECK (required_approvals >= 0),
  self_approval       boolean NOT NULL DEFAULT true,
  run_at              timestamptz NOT NULL DEFAULT now(),
  expires_at          timestamptz,
  worker_id           text,
  lease_expires_at    timestamptz,
  attempts            integer NOT NULL DEFAULT 0,
  mutation_started    boolean NOT NULL DEFAULT false,
  cancel_requested_at timestamptz,
  cancel_requested_by text,
  failed_step         text,
  error               text,
  summary             text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  started_at          timestamptz,
  finished_at         timestamptz
);

-- At most one running run per lock key: a second claim fails with 23505 instead of overlapping.
CREATE UNIQUE INDEX runs_one_running_per_lock_key ON runs (lock_key) WHERE status = 'running' AND lock_key IS NOT NULL;
CREATE INDEX runs_claimable ON runs (run_at, created_at) WHERE status = 'queued';
CREATE INDEX runs_queued_by_lock_key ON runs (lock_key, created_at) WHERE status = 'queued';
CREATE INDEX runs_running_lease ON runs (lease_expires_at) WHERE status = 'running';
CREATE INDEX runs_pending_expiry ON runs (expires_at) WHERE status = 'pending_approval';
CREATE INDEX runs_recent ON runs (created_at DESC);

CREATE FUNCTION runs_guard_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status IN ('succeeded', 'failed', 'cancelled', 'rejected', 'expired') THEN
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.finished_at IS DISTINCT FROM OLD.finished_at THEN
      RAISE EXCEPTION 'run % is already %', OLD.id, OLD.status USING ERRCODE = 'P0001', HINT = 'illegal_transition';
    END IF;
  ELSIF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'pending_approval' AND NEW.status IN ('queued', 'rejected', 'expired', 'cancelled'))
    OR (OLD.status = 'queued'           AND NEW.status IN ('running', 'cancelled', 'expired'))
    OR (OLD.status = 'running'          AND NEW.status IN ('succeeded', 'failed', 'cancelled', 'queued'))
  ) THEN
    RAISE EXCEPTION 'run % cannot go from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'P0001', HINT = 'illegal_transition';
  END IF;
  IF OLD.status = 'pending_approval' AND NEW.status = 'queued' AND OLD.expires_at IS NOT NULL AND OLD.expires_at <= now() THEN
    RAISE EXCEPTION 'run % expired at %', OLD.id, OLD.expires_at USING ERRCODE = 'P0001', HINT = 'plan_expired';
  END IF;
  IF NEW.status = 'running' AND OLD.status = 'queued' AND NEW.run_at > now() THEN
    RAISE EXCEPTION 'run % is scheduled for %', OLD.id, NEW.run_at USING ERRCODE = 'P0001', HINT = 'not_due';
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE TRIGGER runs_guard_transition BEFORE UPDATE ON runs FOR EACH ROW EXECUTE FUNCTION runs_guard_transition();

CREATE TABLE approvals (
  id          bigserial PRIMARY KEY,
  run_id      uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  approver    text NOT NULL,
  decision    text NOT NULL CHECK (decision IN ('approve', 'reject')),
  plan_hash   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_id, approver)
);

CREATE TABLE run_events (
  id       bigserial PRIMARY KEY,
  run_id   uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  kind     text NOT NULL,
  phase    text,
  step_id  text,
  message  text NOT NULL DEFAULT '',
  data     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX run_events_by_run ON run_events (run_id, id);

CREATE TABLE artifacts (
  id          bigserial PRIMARY KEY,
  run_id      uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step_id     text,
  kind        text NOT NULL CHECK (kind IN ('link', 'text', 'diff', 'file', 'json', 'summary')),
  title       text NOT NULL,
  content     text,
  url         text,
  filename    text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX artifacts_by_run ON artifacts (run_id, id);

CREATE TABLE workers (
  id            text PRIMARY KEY,
  hostname      text NOT NULL,
  pid           integer NOT NULL,
  concurrency   integer NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now(),
  stopped_at    timestamptz
);

-- Wake-ups: workers LISTEN for queued runs, front ends for new run events (a slow poll backs both up).
CREATE FUNCTION runs_notify_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('opsroom_runs_queued', NEW.id::text);
  RETURN NULL;
END $$;
CREATE TRIGGER runs_notify_queued AFTER INSERT OR UPDATE OF status ON runs
  FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION runs_notify_queued();

CREATE FUNCTION run_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('opsroom_run_events', NEW.run_id::text);
  RETURN NULL;
END $$;
CREATE TRIGGER run_events_notify AFTER INSERT ON run_events FOR EACH ROW EXECUTE FUNCTION run_events_notify();
