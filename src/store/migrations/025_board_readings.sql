-- The ops board's latest reading (store/board-records.ts): the App Home shows it on every opening and each
-- Slack process looks, after run events, whether a newer one finished. Without this index both walk every
-- run; with it, the newest succeeded ops-board runs are the first rows read.
CREATE INDEX runs_succeeded_by_runbook ON runs (runbook, finished_at DESC) WHERE status = 'succeeded';
