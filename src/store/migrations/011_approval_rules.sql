-- Approval rules decided once, here: who counts as a plan's requester, which approvals count, and an
-- edit replacing a plan waiting for approval. The store and the cards read what these functions say;
-- the lifecycle guard enforces it, so no caller can count differently.

-- Everyone who requested or edited a plan (requested_by is the latest of them). With self-approval off
-- none of them may approve it: an edit click can never stand in for the second person. Fixed at insert.
ALTER TABLE runs ADD COLUMN requesters text[];
UPDATE runs SET requesters = ARRAY[requested_by];
ALTER TABLE runs ALTER COLUMN requesters SET NOT NULL;
ALTER TABLE runs ADD CONSTRAINT runs_requester_listed CHECK (requested_by = ANY (requesters));

-- The plan an edit replaced this one with. Set only in the transition that cancels a plan still waiting
-- for approval (see runs_require_approvals), so an edit never cancels a run that was approved or started.
ALTER TABLE runs ADD COLUMN superseded_by uuid REFERENCES runs (id);

-- Which approvals count: an approval of the run's current plan hash, not from one of its requesters
-- when the plan forbids self-approval. approval_may_count answers the second half before anyone
-- clicks (App Home's "waiting for you").
CREATE FUNCTION approval_may_count(r runs, approver text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT r.self_approval OR approver <> ALL (r.requesters)
$$;

CREATE FUNCTION approval_counts(a approvals, r runs) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT a.run_id = r.id AND a.decision = 'approve' AND a.plan_hash = r.plan_hash AND approval_may_count(r, a.approver)
$$;

CREATE FUNCTION run_approvals_counted(r runs) RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT count(*)::int FROM approvals a WHERE a.run_id = r.id AND approval_counts(a, r)
$$;

-- The lifecycle guard of 002 without its approval count, which moves to runs_require_approvals below
-- (its own trigger, so the rule has one home and a later guard version cannot count differently).
CREATE OR REPLACE FUNCTION runs_guard_transition() RETURNS trigger LANGUAGE plpgsql AS $$
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

-- Refuses pending_approval → queued without enough approvals that count, changing who requested a
-- plan, and marking a run replaced by an edit unless that cancels a plan still waiting for approval.
-- Runs after runs_guard_transition (triggers fire in name order), so an expired plan says "expired".
CREATE FUNCTION runs_require_approvals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  approved integer;
BEGIN
  IF OLD.status = 'pending_approval' AND NEW.status = 'queued' THEN
    approved := run_approvals_counted(NEW);
    IF approved < NEW.required_approvals THEN
      RAISE EXCEPTION 'run % has % of % approvals for plan %', OLD.id, approved, NEW.required_approvals, NEW.plan_hash
        USING ERRCODE = 'P0001', HINT = 'not_approved';
    END IF;
  END IF;
  IF NEW.requesters IS DISTINCT FROM OLD.requesters OR NEW.requested_by IS DISTINCT FROM OLD.requested_by THEN
    RAISE EXCEPTION 'run %: who requested it cannot change', OLD.id USING ERRCODE = 'P0001', HINT = 'illegal_transition';
  END IF;
  IF NEW.superseded_by IS DISTINCT FROM OLD.superseded_by
     AND NOT (OLD.superseded_by IS NULL AND OLD.status = 'pending_approval' AND NEW.status = 'cancelled') THEN
    RAISE EXCEPTION 'run % is %; only a plan waiting for approval can be replaced by an edit', OLD.id, OLD.status
      USING ERRCODE = 'P0001', HINT = 'not_editable';
  END IF;
  RETURN NEW;
END $$;

-- The WHEN clause keeps the queue's hot updates (claims, lease renewals, finishes) from calling it.
CREATE TRIGGER runs_require_approvals BEFORE UPDATE ON runs FOR EACH ROW
  WHEN (OLD.status = 'pending_approval' OR NEW.requesters IS DISTINCT FROM OLD.requesters
        OR NEW.requested_by IS DISTINCT FROM OLD.requested_by OR NEW.superseded_by IS DISTINCT FROM OLD.superseded_by)
  EXECUTE FUNCTION runs_require_approvals();
