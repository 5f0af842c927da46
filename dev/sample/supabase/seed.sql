-- Seed data for the sample app's dev databases (applied once, when the dev environment creates them).
-- The flags are the ops board's (seed 001) and the release plans' (seeds 002, 003), in the state the board
-- shows: featureMatrix, homeDemoVariant and signalAiInsights partly rolled out, the FSYNC flags off.
-- current_setting('app.environment') is the feature_flags.environment value of the database being seeded; the
-- flags were last changed three days ago, so they are not mistaken for a recent change.
INSERT INTO user_profiles (id, display_name, cohort) VALUES
  ('00000000-0000-4000-8000-000000000001', 'Ada (ops)', 'ops'),
  ('00000000-0000-4000-8000-000000000002', 'Grace (admin)', 'admin'),
  ('00000000-0000-4000-8000-000000000003', 'Linus (student)', 'students'),
  ('00000000-0000-4000-8000-000000000004', 'Margaret (mentor)', 'mentors');

INSERT INTO projects (id, owner_id, name) VALUES
  ('00000000-0000-4000-9000-000000000001', '00000000-0000-4000-8000-000000000003', 'timeline-redesign');

INSERT INTO project_files (project_id, file_path, file_type, content, content_hash, created_by) VALUES
  ('00000000-0000-4000-9000-000000000001', 'src/timeline.ts', 'typescript', 'export const rails = 3;',
   encode(sha256(convert_to('export const rails = 3;', 'UTF8')), 'hex'), '00000000-0000-4000-8000-000000000003');

INSERT INTO activities (user_id, title, happened_on) VALUES
  ('00000000-0000-4000-8000-000000000003', 'Portfolio review', '2026-01-05');

INSERT INTO feature_flags (flag_key, description, is_enabled, rollout_percentage, environment, metadata, created_at, updated_at)
SELECT flag_key, description, is_enabled, rollout_percentage, current_setting('app.environment'), metadata::jsonb,
       now() - interval '3 days', now() - interval '3 days'
FROM (VALUES
  ('featureMatrix', 'Config-driven visibility powering nav and page access', true, 25, '{"cohorts": ["ops", "admin"]}'),
  ('homeDemoVariant', 'Redirect / to home* for select cohorts', true, 10, '{"cohorts": ["ops", "demo"]}'),
  ('timelineParallax', 'Smoother carousel animation on /timeline', false, 0, '{"cohorts": ["students", "mentors"]}'),
  ('signalAiInsights', 'Inline assistant preview on home*', true, 50, '{"cohorts": ["mentors", "ops"]}'),
  ('supabaseSnapshot', 'Phase 0 data loads from Supabase', true, 100, '{"cohorts": ["all"]}'),
  ('FSYNC_USE_RPC', 'Use RPC functions for file operations', false, 0, '{}'),
  ('FSYNC_SERVER_BROADCASTS', 'Server-side realtime broadcasts', false, 0, '{}'),
  ('FSYNC_KEEP_CLIENT_BROADCAST', 'Keep client-authored realtime broadcasts', false, 0, '{}'),
  ('FSYNC_SNAPSHOT_HYDRATION', 'Snapshot-based container hydration', false, 0, '{}'),
  ('FSYNC_BULK_GENERATION', 'Bulk file generation', false, 0, '{}'),
  ('ENABLE_LEGACY_MIGRATION', 'Master switch for the legacy migration runner', false, 0, '{}'),
  ('LEGACY_MIGRATION_DRY_RUN', 'Legacy migration runs roll back their data', true, 100, '{}'),
  ('ENABLE_USAGE_METRICS', 'Telemetry emission to the metrics endpoint', false, 0, '{}')
) AS flags (flag_key, description, is_enabled, rollout_percentage, metadata);
