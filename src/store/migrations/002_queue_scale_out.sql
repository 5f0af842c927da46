-- The run queue scaled out across processes: a stricter lifecycle guard, wake-ups that say how many
-- runs became claimable (and when scheduled ones fall due), lock-release and cancel wake-ups, and the
-- indexes the batch claim walks. 001 stays as applied; everything here is additive or a replacement.

-- Lifecycle guard, second version. On top of 001 it refuses:
--   * pending_approval → queued without enough approvals bound to the current plan hash (self-approvals
--     do not count when the plan forbids them), so no code path can queue an unapproved plan;
--   * running → queued once a mutating step has started (only a run that changed nothing may be retried);
--   * changing the plan hash after the run left pending_approval, and un-setting mutation_started.
CREATE OR REPLACE FUNCTION runs_guard_transition() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  approved integer;
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
  IF OLD.status = 'pending_approval' AND NEW.status = 'queued' THEN
    IF OLD.expires_at IS NOT NULL AND OLD.expires_at <= now() THEN
      RAISE EXCEPTION 'run % expired at %', OLD.id, OLD.expires_at USING ERRCODE = 'P0001', HINT = 'plan_expired';
    END IF;
    SELECT count(*) INTO approved FROM approvals a
     WHERE a.run_id = OLD.id AND a.decision = 'approve' AND a.plan_hash = NEW.plan_hash
       AND (NEW.self_approval OR a.approver <> NEW.requested_by);
    IF approved < NEW.required_approvals THEN
      RAISE EXCEPTION 'run % has % of % approvals for plan %', OLD.id, approved, NEW.required_approvals, NEW.plan_hash
        USING ERRCODE = 'P0001', HINT = 'not_approved';
    END IF;
  END IF;
  IF NEW.plan_hash IS DISTINCT FROM OLD.plan_hash AND OLD.status <> 'pending_approval' THEN
    RAISE EXCEPTION 'run % is %; its plan can no longer change', OLD.id, OLD.status USING ERRCODE = 'P0001', HINT = 'illegal_transition';
  END IF;
  IF OLD.status = 'running' AND NEW.status = 'queued' AND OLD.mutation_started THEN
    RAISE EXCEPTION 'run % started changing things; it cannot be retried', OLD.id USING ERRCODE = 'P0001', HINT = 'illegal_transition';
  END IF;
  IF OLD.mutation_started AND NOT NEW.mutation_started THEN
    RAISE EXCEPTION 'run % started changing things; that cannot be undone', OLD.id USING ERRCODE = 'P0001', HINT = 'illegal_transition';
  END IF;
  IF NEW.status = 'running' AND OLD.status = 'queued' AND NEW.run_at > now() THEN
    RAISE EXCEPTION 'run % is scheduled for %', OLD.id, NEW.run_at USING ERRCODE = 'P0001', HINT = 'not_due';
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;

-- A run is born waiting for approval or queued; nothing inserts a run that is already running or done.
CREATE FUNCTION runs_guard_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a new run must be pending_approval or queued (got %)', NEW.status USING ERRCODE = 'P0001', HINT = 'illegal_transition';
END $$;
CREATE TRIGGER runs_guard_insert BEFORE INSERT ON runs
  FOR EACH ROW WHEN (NEW.status NOT IN ('pending_approval', 'queued')) EXECUTE FUNCTION runs_guard_insert();

-- A running run always names its worker and carries a lease (NOT VALID: checked on every new write).
ALTER TABLE runs ADD CONSTRAINT runs_running_has_lease
  CHECK (status <> 'running' OR (worker_id IS NOT NULL AND lease_expires_at IS NOT NULL)) NOT VALID;

-- Queue order is (run_at, seq): first come, first served, and deterministic for runs created in one
-- statement (they share created_at = now()). seq is only an order, never shown.
ALTER TABLE runs ADD COLUMN seq bigserial;
DROP INDEX runs_claimable;
CREATE INDEX runs_claimable ON runs (run_at, seq) WHERE status = 'queued';
DROP INDEX runs_queued_by_lock_key;
CREATE INDEX runs_queued_head ON runs (lock_key, run_at, seq) WHERE status = 'queued' AND lock_key IS NOT NULL;
CREATE INDEX runs_running_by_worker ON runs (worker_id) WHERE status = 'running';

-- Wake-ups. The payload is JSON: {"n": runs that became claimable now, "at": earliest future run_at}.
-- Workers wake only as many executor slots as "n" says (a slot that finds work wakes the next), and
-- set a timer for "at". One notification per INSERT statement, however many runs it adds.
DROP TRIGGER runs_notify_queued ON runs;
DROP FUNCTION runs_notify_queued();

CREATE FUNCTION runs_notify_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  due integer;
  later timestamptz;
BEGIN
  SELECT count(*) FILTER (WHERE run_at <= now()), min(run_at) FILTER (WHERE run_at > now())
    INTO due, later FROM inserted WHERE status = 'queued';
  IF due > 0 OR later IS NOT NULL THEN
    PERFORM pg_notify('opsroom_runs_queued', json_build_object('n', due, 'at', later)::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER runs_notify_inserted AFTER INSERT ON runs
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION runs_notify_inserted();

-- A run approved or requeued: one more claimable run (or one due later).
CREATE FUNCTION runs_notify_requeued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.run_at <= now() THEN
    PERFORM pg_notify('opsroom_runs_queued', json_build_object('n', 1, 'at', NULL)::text);
  ELSE
    PERFORM pg_notify('opsroom_runs_queued', json_build_object('n', 0, 'at', NEW.run_at)::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER runs_notify_requeued AFTER UPDATE OF status ON runs
  FOR EACH ROW WHEN (NEW.status = 'queued' AND OLD.status IS DISTINCT FROM 'queued') EXECUTE FUNCTION runs_notify_requeued();

-- A lock key freed while another run of that key waits: that run is claimable now, by any process.
CREATE FUNCTION runs_notify_lock_released() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM runs WHERE lock_key = NEW.lock_key AND status = 'queued' AND run_at <= now()) THEN
    PERFORM pg_notify('opsroom_runs_queued', json_build_object('n', 1, 'at', NULL)::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER runs_notify_lock_released AFTER UPDATE OF status ON runs
  FOR EACH ROW WHEN (OLD.status = 'running' AND NEW.status <> 'running' AND NEW.lock_key IS NOT NULL)
  EXECUTE FUNCTION runs_notify_lock_released();

-- A cancel request on a running run reaches its executor at once, not at the next poll.
CREATE FUNCTION runs_notify_cancel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('opsroom_run_cancel', NEW.id::text);
  RETURN NULL;
END $$;
CREATE TRIGGER runs_notify_cancel AFTER UPDATE OF cancel_requested_at ON runs
  FOR EACH ROW WHEN (OLD.cancel_requested_at IS NULL AND NEW.cancel_requested_at IS NOT NULL AND NEW.status = 'running')
  EXECUTE FUNCTION runs_notify_cancel();

-- Worker registry: the lease a worker uses tells a front end when its heartbeat is late.
ALTER TABLE workers ADD COLUMN lease_ms integer NOT NULL DEFAULT 30000 CHECK (lease_ms > 0);
