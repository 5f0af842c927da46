-- Staged rollouts (runbooks/rollout.yml): the schedule of an approved rollout lives here, so it survives
-- restarts. Each stage runs as a run of its own (runbooks/rollout-stage.yml: gates, then the change), queued
-- by the rollout driver of whichever process sees the stage due; the idempotency key of that run makes a
-- stage start once however many processes race for it.
CREATE TABLE rollouts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The approved plan that started it: its thread gets the stages, its approvers may skip a stage.
  run_id          uuid NOT NULL REFERENCES runs (id),
  flag            text NOT NULL,
  env             text NOT NULL,
  lock_key        text NOT NULL,
  status          text NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'paused', 'succeeded', 'reverted', 'aborted')),
  -- [{ "percent": 10, "cohorts": ["ops"] }, …], ascending, the last one the target.
  stages          jsonb NOT NULL,
  every_seconds   integer NOT NULL CHECK (every_seconds >= 0),
  -- How many stages are done (0 before the first).
  stage           integer NOT NULL DEFAULT 0,
  next_at         timestamptz,
  -- The stage run in flight (null between stages) and the last one that ran.
  current_run_id  uuid REFERENCES runs (id),
  last_run_id     uuid REFERENCES runs (id),
  -- The flag as read before the rollout: what a failed gate, an abort or "roll back the rollout" restores.
  original        jsonb NOT NULL,
  -- Each gate's last result: [{ "gate": "health", "ok": true, "summary": "…", "at": "…" }].
  gates           jsonb NOT NULL DEFAULT '[]',
  reason          text,
  -- The rollout's status message in Slack ({ "channel", "ts" }), kept up to date by any process.
  status_message  jsonb,
  updated_by      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Two rollouts of one flag in one environment never overlap: a second one is refused while the first
-- is active or paused, whatever process starts it.
CREATE UNIQUE INDEX rollouts_one_live_per_flag ON rollouts (lock_key) WHERE status IN ('active', 'paused');
CREATE INDEX rollouts_due ON rollouts (next_at) WHERE status = 'active';
CREATE INDEX rollouts_by_flag ON rollouts (flag, env, created_at);
