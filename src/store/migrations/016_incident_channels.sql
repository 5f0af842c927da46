-- Incident channels. The messages opsroom saw there, for the postmortem's timeline (text already
-- redacted), and the one triage summary message each channel has, kept up to date as later runs happen.
CREATE TABLE incident_messages (
  channel  text NOT NULL,
  ts       text NOT NULL,
  user_id  text NOT NULL,
  text     text NOT NULL,
  at       timestamptz NOT NULL,
  PRIMARY KEY (channel, ts)
);

-- message_ts is null while the process that claimed the channel posts the message: the others wait
-- for it instead of posting a second one.
CREATE TABLE incident_summaries (
  channel     text PRIMARY KEY,
  message_ts  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The runs started from one Slack channel (the summary links them; the postmortem lists them), and the
-- change history triage reads: mutating runs by the time they started.
CREATE INDEX runs_by_channel ON runs ((origin ->> 'channel'), created_at);
CREATE INDEX runs_changes ON runs (started_at) WHERE mutating AND started_at IS NOT NULL;
