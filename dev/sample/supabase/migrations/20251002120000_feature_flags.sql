-- File system sync v1, Phase 0.3: database-driven feature flags with percentage rollout and user targeting.
CREATE TABLE feature_flags (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  flag_key text UNIQUE NOT NULL,
  description text,
  is_enabled boolean NOT NULL DEFAULT false,
  rollout_percentage integer DEFAULT 0 CHECK (rollout_percentage >= 0 AND rollout_percentage <= 100),
  environment text NOT NULL DEFAULT 'production',
  target_user_ids uuid[] DEFAULT ARRAY[]::uuid[],
  metadata jsonb DEFAULT '{}',
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now()
);

-- On for a user when the flag is enabled and the user is targeted or falls inside the rollout percentage.
CREATE FUNCTION is_feature_enabled(flag_key text, user_id uuid DEFAULT NULL)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((
    SELECT f.is_enabled AND (
      f.rollout_percentage >= 100
      OR ($2 IS NOT NULL AND $2 = ANY (f.target_user_ids))
      OR ($2 IS NOT NULL AND abs(hashtext($2::text)) % 100 < f.rollout_percentage)
    )
    FROM feature_flags f WHERE f.flag_key = $1
  ), false)
$$;
