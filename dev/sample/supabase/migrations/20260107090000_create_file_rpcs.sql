-- File system sync v1, Phase 1.1–1.3: tombstones for deleted files, and the RPCs that write and list files.
ALTER TABLE project_files ADD COLUMN deleted_at timestamptz;

-- The view was created with SELECT *, which froze its columns: add the new one.
CREATE OR REPLACE VIEW project_files_current AS
  SELECT * FROM project_files WHERE is_current_version = true;

CREATE INDEX idx_project_files_content_hash ON project_files (content_hash);

CREATE FUNCTION upsert_project_file(project_uuid uuid, p_file_path text, p_content text, p_file_type text, p_user uuid)
RETURNS project_files LANGUAGE plpgsql AS $$
DECLARE
  result project_files;
  next_version integer;
BEGIN
  SELECT coalesce(max(version), 0) + 1 INTO next_version
    FROM project_files WHERE project_id = project_uuid AND file_path = p_file_path;
  UPDATE project_files SET is_current_version = false
    WHERE project_id = project_uuid AND file_path = p_file_path AND is_current_version;
  INSERT INTO project_files (project_id, file_path, file_type, content, content_hash, version, created_by, last_modified_by)
    VALUES (project_uuid, p_file_path, p_file_type, p_content, encode(sha256(convert_to(p_content, 'UTF8')), 'hex'),
            next_version, p_user, p_user)
    RETURNING * INTO result;
  RETURN result;
END;
$$;

CREATE FUNCTION list_current_files(project_uuid uuid)
RETURNS TABLE (file_path text, file_type text, content text, content_hash text, version integer, updated_at timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT file_path, file_type, content, content_hash, version, updated_at
    FROM project_files_current WHERE project_id = project_uuid AND deleted_at IS NULL ORDER BY file_path
$$;
