-- pgstep:note Creates project_files, the file-metadata table taken over from the older file service: names, types, processing state, lineage and classification. workspace_id has no foreign key yet (the file service had no workspaces table), and session_id is a runtime value that 025 finally moves out.
-- pgstep:requires 001
-- migrate:up
CREATE TABLE project_files (
    file_uuid            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id         uuid NOT NULL,          -- foreign key added NOT VALID in 016
    ui_name              text NOT NULL,
    file_path            text NOT NULL,
    file_type            text,
    mime_type            text,
    size_bytes           bigint CHECK (size_bytes >= 0),
    processing_status    text NOT NULL DEFAULT 'pending'
                         CHECK (processing_status IN ('pending', 'processing', 'done', 'error')),
    processing_errors    jsonb,
    root_file_uuid       uuid,
    parent_file_uuid     uuid REFERENCES project_files (file_uuid) ON DELETE SET NULL,
    lineage_depth        integer NOT NULL DEFAULT 0 CHECK (lineage_depth >= 0),
    access_level         text NOT NULL DEFAULT 'workspace'
                         CHECK (access_level IN ('private', 'workspace', 'tenant')),
    permissions          jsonb NOT NULL DEFAULT '{}'::jsonb,
    data_classification  text NOT NULL DEFAULT 'internal'
                         CHECK (data_classification IN ('public', 'internal', 'confidential', 'restricted')),
    session_id           text,                   -- legacy: dropped by 025
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX project_files_workspace_created_idx ON project_files (workspace_id, created_at);
CREATE INDEX project_files_root_idx ON project_files (root_file_uuid);

CREATE TRIGGER project_files_set_updated_at
    BEFORE UPDATE ON project_files
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- migrate:down
DROP TABLE project_files;
