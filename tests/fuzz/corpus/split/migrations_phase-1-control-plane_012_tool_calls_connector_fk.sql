-- pgstep:note Adds the missing foreign key from tool_calls to connector_installations. RISKY: it is added without NOT VALID, so PostgreSQL checks every existing tool call while blocking writes to both tables, and the migration fails if any call points to a connector that no longer exists.
-- pgstep:requires 004
-- pgstep:requires 005
-- migrate:up
ALTER TABLE tool_calls
    ADD CONSTRAINT tool_calls_connector_installation_id_fkey
    FOREIGN KEY (connector_installation_id)
    REFERENCES connector_installations (id) ON DELETE SET NULL;

-- migrate:down
ALTER TABLE tool_calls DROP CONSTRAINT tool_calls_connector_installation_id_fkey;
