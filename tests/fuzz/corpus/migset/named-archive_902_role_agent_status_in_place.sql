7archive/902_role_agent_status_in_place.sql
-- pgstep:note RETIRED, never applied: the first enum conversion of role_agents.status, done in place with ALTER COLUMN TYPE ... USING. It failed on the first tenant holding a status outside the enum (such as 'paused') and rewrote the table under ACCESS EXCLUSIVE; 014 replaced it with a temporary column and an explicit mapping.
-- migrate:up
CREATE TYPE role_agent_status AS ENUM ('active', 'inactive', 'suspended', 'retired');
ALTER TABLE role_agents ALTER COLUMN status DROP DEFAULT;
ALTER TABLE role_agents
    ALTER COLUMN status TYPE role_agent_status USING status::role_agent_status;
ALTER TABLE role_agents ALTER COLUMN status SET DEFAULT 'active';

-- migrate:down
ALTER TABLE role_agents ALTER COLUMN status DROP DEFAULT;
ALTER TABLE role_agents ALTER COLUMN status TYPE text USING status::text;
ALTER TABLE role_agents ALTER COLUMN status SET DEFAULT 'active';
DROP TYPE role_agent_status;
