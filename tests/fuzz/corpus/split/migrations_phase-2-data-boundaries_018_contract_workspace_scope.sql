-- pgstep:note Adds workspace_scope to every boundary contract and fills it for the existing ones: the workspace id and the environments the contract covers. The down simply drops the column again.
-- migrate:up
ALTER TABLE data_boundary_contracts ADD COLUMN workspace_scope jsonb;

UPDATE data_boundary_contracts c
   SET workspace_scope = jsonb_build_object(
           'workspace_id', c.workspace_id,
           'environments', COALESCE((SELECT jsonb_agg(e.name ORDER BY e.name)
                                       FROM environments e
                                      WHERE e.workspace_id = c.workspace_id),
                                    '[]'::jsonb))
 WHERE c.workspace_scope IS NULL;

-- migrate:down
ALTER TABLE data_boundary_contracts DROP COLUMN workspace_scope;
