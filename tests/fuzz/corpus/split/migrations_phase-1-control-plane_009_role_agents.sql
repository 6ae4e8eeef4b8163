-- pgstep:note Creates role agents (AI agents acting in a named role inside a workspace) and the minimum trust score each role requires. status is still free text here; 014 converts it to an enum, mapping values nobody planned for.
-- pgstep:requires 002
-- migrate:up
CREATE TABLE role_agents (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name             text NOT NULL,
    role_template    text NOT NULL,
    assigned_to_did  text,                  -- decentralized identifier of the assignee
    status           text NOT NULL DEFAULT 'active',
    trust_score      double precision CHECK (trust_score BETWEEN 0 AND 1),
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name)
);

CREATE INDEX role_agents_workspace_status_idx ON role_agents (workspace_id, status);

CREATE TABLE role_trust_thresholds (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    role_template    text NOT NULL,
    min_trust_score  double precision NOT NULL CHECK (min_trust_score BETWEEN 0 AND 1),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, role_template)
);

-- migrate:down
DROP TABLE role_trust_thresholds;
DROP TABLE role_agents;
