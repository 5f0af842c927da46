-- Legacy portfolio migration (release plan step 3): activities, their assets, and each user's migration log.
CREATE TABLE activities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES user_profiles(id) ON DELETE CASCADE,
  title text NOT NULL,
  happened_on date NOT NULL DEFAULT current_date,
  created_at timestamptz DEFAULT now()
);

CREATE TABLE activity_assets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  activity_id uuid NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
  storage_path text NOT NULL,
  created_at timestamptz DEFAULT now()
);

CREATE TABLE user_migrations (
  user_id uuid PRIMARY KEY REFERENCES user_profiles(id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'pending',
  dry_run boolean NOT NULL DEFAULT false,
  updated_at timestamptz DEFAULT now()
);
