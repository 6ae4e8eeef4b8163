-- pgstep:note Adds the boundary-contract columns to project_files (all nullable, so existing rows and old code keep working) and the long-missing foreign key to workspaces. SAFE recipe: the workspace key is added NOT VALID, which checks only new rows and takes a brief lock; 020 validates the old rows later without blocking writes.
-- pgstep:requires 008
-- migrate:up
-- Nullable columns without defaults: catalog-only, no rewrite, no scan.
-- A REFERENCES on a brand-new (all NULL) column needs no validation scan.
ALTER TABLE project_files
    ADD COLUMN IF NOT EXISTS boundary_contract_id uuid
        CONSTRAINT project_files_boundary_contract_id_fkey
        REFERENCES data_boundary_contracts (contract_id) ON DELETE SET NULL,
    ADD COLUMN IF NOT EXISTS representation_type text,
    ADD COLUMN IF NOT EXISTS materialization_scope jsonb;   -- runtime details such as session_id

ALTER TABLE project_files
    ADD CONSTRAINT project_files_representation_type_check
    CHECK (representation_type IN ('metadata', 'summary', 'full_text', 'embedding')) NOT VALID;

ALTER TABLE project_files
    ADD CONSTRAINT project_files_workspace_id_fkey
    FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE NOT VALID;

-- migrate:down
ALTER TABLE project_files DROP CONSTRAINT project_files_workspace_id_fkey;
ALTER TABLE project_files DROP CONSTRAINT project_files_representation_type_check;
ALTER TABLE project_files
    DROP COLUMN IF EXISTS materialization_scope,
    DROP COLUMN IF EXISTS representation_type,
    DROP COLUMN IF EXISTS boundary_contract_id;
