-- pgstep:note Validates the two project_files constraints that 016 added NOT VALID. SAFE recipe, second half: VALIDATE CONSTRAINT scans the table but only takes SHARE UPDATE EXCLUSIVE, so reads and writes continue; it fails, changing nothing, if a file points to a workspace that does not exist.
-- pgstep:requires 016
-- migrate:up
ALTER TABLE project_files VALIDATE CONSTRAINT project_files_workspace_id_fkey;
ALTER TABLE project_files VALIDATE CONSTRAINT project_files_representation_type_check;

-- migrate:down
-- There is no "un-validate": drop and re-add both constraints NOT VALID, as 016 left them.
ALTER TABLE project_files DROP CONSTRAINT project_files_representation_type_check;
ALTER TABLE project_files
    ADD CONSTRAINT project_files_representation_type_check
    CHECK (representation_type IN ('metadata', 'summary', 'full_text', 'embedding')) NOT VALID;
ALTER TABLE project_files DROP CONSTRAINT project_files_workspace_id_fkey;
ALTER TABLE project_files
    ADD CONSTRAINT project_files_workspace_id_fkey
    FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE NOT VALID;
