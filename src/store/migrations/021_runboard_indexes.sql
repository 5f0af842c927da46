-- The Runboard (src/runboard). Checked with EXPLAIN on PostgreSQL over 10,000 runs (npm run bench:runboard).
--
-- The board asks for the open runs (running, queued, waiting for approval), newest first. With fewer
-- open runs than its limit, walking runs_recent backwards reads the whole history to find them; a
-- partial index holds only the open ones, so the board reads a few dozen rows whatever the history.
CREATE INDEX runs_open ON runs (created_at DESC, id DESC) WHERE status IN ('pending_approval', 'queued', 'running');

-- History filtered by service and env (the lane: "what happened to api in prod") or by requester,
-- newest first, a page at a time: without these, a seq scan and a sort of every run.
CREATE INDEX runs_by_target ON runs (service, env, created_at DESC);
CREATE INDEX runs_by_requester ON runs (requested_by, created_at DESC);
