-- pgstep:note Moves each file's legacy session_id into materialization_scope and drops the session_id column. RISKY: DROP COLUMN loses data for anything that still writes the column, and breaks running code that selects it; the down re-creates the column and copies the values back from materialization_scope.
-- pgstep:requires 016
-- migrate:up
UPDATE project_files
   SET materialization_scope = COALESCE(materialization_scope, '{}'::jsonb)
                               || jsonb_build_object('session_id', session_id)
 WHERE session_id IS NOT NULL;

ALTER TABLE project_files DROP COLUMN session_id;

-- migrate:down
ALTER TABLE project_files ADD COLUMN session_id text;

UPDATE project_files
   SET session_id = materialization_scope ->> 'session_id',
       materialization_scope = NULLIF(materialization_scope - 'session_id', '{}'::jsonb)
 WHERE materialization_scope ? 'session_id';
