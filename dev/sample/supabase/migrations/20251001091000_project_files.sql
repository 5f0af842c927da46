-- File system sync v1, Phase 0.1: the standardized project_files schema and its current-version view.
CREATE TABLE project_files (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  file_path text NOT NULL,
  file_type text NOT NULL DEFAULT 'text',
  content text,
  content_hash text,
  version integer NOT NULL DEFAULT 1,
  parent_version_id uuid REFERENCES project_files(id) ON DELETE SET NULL,
  is_current_version boolean NOT NULL DEFAULT true,
  created_by uuid NOT NULL REFERENCES user_profiles(id) ON DELETE CASCADE,
  last_modified_by uuid REFERENCES user_profiles(id) ON DELETE SET NULL,
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now(),
  CONSTRAINT unique_project_file_version UNIQUE (project_id, file_path, version)
);

CREATE INDEX idx_project_files_project_id ON project_files (project_id);
CREATE INDEX idx_project_files_current ON project_files (project_id, file_path) WHERE is_current_version;

CREATE VIEW project_files_current AS
  SELECT * FROM project_files WHERE is_current_version = true;
