-- Staged runs beyond flag rollouts: a release plan (config `releases`, runbooks/release.yml) is driven by the
-- same schedule as a flag rollout. `kind` says which; for a release, `flag` holds the release's name, `env`
-- the environment of its last stage, and `stages` each stage's approved definition (what it runs, its gates),
-- so a config edited mid-release never changes what was approved.
ALTER TABLE rollouts ADD COLUMN kind text NOT NULL DEFAULT 'flag' CHECK (kind IN ('flag', 'release'));
-- When the latest stage run was queued: the `{{ stage.startedAt }}` of its SQL gates, and of the gates the
-- next stage re-checks before it changes anything.
ALTER TABLE rollouts ADD COLUMN stage_started_at timestamptz;
-- What each stage changed, read before it changed it ([{ "stage": 2, "kind": "deploy", "service": "api",
-- "env": "prod", "before": { "ref": "v1.4.0" } }, …]): "roll back the X rollout" plans the exact reverse.
ALTER TABLE rollouts ADD COLUMN changes jsonb NOT NULL DEFAULT '[]';
