-- pgstep:note Data migration: creates a 'legacy-default' boundary contract for every workspace that has files without one, matching the workspace's persistence mode, and links those files to it. The down unlinks the files and deletes exactly the contracts this migration created (created_by = 'migration:017').
-- pgstep:requires 015
-- migrate:up
INSERT INTO data_boundary_contracts
       (workspace_id, name, persistence_mode, allowed_representations, created_by)
SELECT w.id,
       'legacy-default',
       w.data_persistence_mode,
       CASE w.data_persistence_mode
           WHEN 'full' THEN ARRAY['metadata', 'summary', 'full_text']
           ELSE ARRAY['metadata']
       END,
       'migration:017'
  FROM workspaces w
 WHERE EXISTS (SELECT 1
                 FROM project_files pf
                WHERE pf.workspace_id = w.id
                  AND pf.boundary_contract_id IS NULL)
ON CONFLICT (workspace_id, name) DO NOTHING;

UPDATE project_files pf
   SET boundary_contract_id = c.contract_id
  FROM data_boundary_contracts c
 WHERE c.workspace_id = pf.workspace_id
   AND c.name = 'legacy-default'
   AND c.created_by = 'migration:017'
   AND pf.boundary_contract_id IS NULL;

-- migrate:down
UPDATE project_files
   SET boundary_contract_id = NULL
 WHERE boundary_contract_id IN (SELECT contract_id
                                  FROM data_boundary_contracts
                                 WHERE created_by = 'migration:017');

DELETE FROM data_boundary_contracts WHERE created_by = 'migration:017';
