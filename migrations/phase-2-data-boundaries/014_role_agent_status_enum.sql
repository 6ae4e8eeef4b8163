-- pgstep:note Converts role_agents.status to the role_agent_status enum through a temporary column, then adds the assignee user, an updated_at column and two lookup indexes. RISKY: table rewrite under lock, plain CREATE INDEX, and any status outside active/inactive/suspended/retired (for example 'paused') silently becomes 'active' and cannot be restored by the down.
-- pgstep:requires 009
-- migrate:up
CREATE TYPE role_agent_status AS ENUM ('active', 'inactive', 'suspended', 'retired');

ALTER TABLE role_agents
    ADD COLUMN status_new role_agent_status NOT NULL DEFAULT 'active';

UPDATE role_agents SET status_new =
    CASE
        WHEN status = 'active'    THEN 'active'::role_agent_status
        WHEN status = 'inactive'  THEN 'inactive'::role_agent_status
        WHEN status = 'suspended' THEN 'suspended'::role_agent_status
        WHEN status = 'retired'   THEN 'retired'::role_agent_status
        ELSE 'active'::role_agent_status
    END;

-- Dropping status also drops role_agents_workspace_status_idx; it is rebuilt below.
ALTER TABLE role_agents DROP COLUMN status;
ALTER TABLE role_agents RENAME COLUMN status_new TO status;

CREATE INDEX role_agents_workspace_status_idx ON role_agents (workspace_id, status);

-- New fields (nullable, or NOT NULL with a constant default: no rewrite).
ALTER TABLE role_agents
    ADD COLUMN assigned_to_user_id uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE role_agents
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE INDEX role_agents_assigned_did_idx ON role_agents (assigned_to_did);
CREATE INDEX role_agents_assigned_user_idx ON role_agents (assigned_to_user_id);

CREATE TRIGGER role_agents_set_updated_at
    BEFORE UPDATE ON role_agents
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- migrate:down
DROP TRIGGER role_agents_set_updated_at ON role_agents;
DROP INDEX role_agents_assigned_user_idx;
DROP INDEX role_agents_assigned_did_idx;
ALTER TABLE role_agents DROP COLUMN updated_at;
ALTER TABLE role_agents DROP COLUMN assigned_to_user_id;

ALTER TABLE role_agents ADD COLUMN status_old text NOT NULL DEFAULT 'active';
UPDATE role_agents SET status_old = status::text;
ALTER TABLE role_agents DROP COLUMN status;
ALTER TABLE role_agents RENAME COLUMN status_old TO status;

CREATE INDEX role_agents_workspace_status_idx ON role_agents (workspace_id, status);

DROP TYPE role_agent_status;
