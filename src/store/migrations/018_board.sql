-- The ops board. A cut-over checklist step's current state: the config defines the step (title, lane,
-- description) and its status until someone changes it; a row here exists once someone has. Who and when
-- come from the run that made the change (its requester), so every change has a plan and, where policy
-- says, an approval behind it.
CREATE TABLE checklist_steps (
  step_id     text PRIMARY KEY,
  status      text NOT NULL CHECK (status IN ('healthy', 'warning', 'blocked', 'done')),
  owner       text,
  notes       text,
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL,
  run_id      uuid REFERENCES runs (id)
);

-- Every change to a step, newest last: the state after it and the state before it (null for the first).
CREATE TABLE checklist_history (
  id          bigserial PRIMARY KEY,
  step_id     text NOT NULL,
  status      text NOT NULL,
  owner       text,
  notes       text,
  previous    jsonb,
  changed_by  text NOT NULL,
  changed_at  timestamptz NOT NULL,
  run_id      uuid REFERENCES runs (id)
);
CREATE INDEX checklist_history_by_step ON checklist_history (step_id, changed_at DESC, id DESC);

-- The one board message per Slack channel, updated in place each time the board is shown there.
-- message_ts is null while the process that claimed the channel posts it (as incident_summaries).
CREATE TABLE board_messages (
  channel     text PRIMARY KEY,
  message_ts  text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
