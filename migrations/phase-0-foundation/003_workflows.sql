-- pgstep:note Creates workflows and their published versions, plus the policies (Rego) bound to them. A published workflow version is immutable: a trigger rejects every UPDATE, so a new version means a new row.
-- migrate:up
CREATE FUNCTION forbid_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable; insert a new version instead', TG_TABLE_NAME
        USING ERRCODE = 'object_not_in_prerequisite_state';
END;
$$;

CREATE TABLE workflows (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          text NOT NULL,
    description   text,
    risk_tier     text NOT NULL DEFAULT 'low' CHECK (risk_tier IN ('low', 'medium', 'high')),
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name)
);

CREATE TRIGGER workflows_set_updated_at
    BEFORE UPDATE ON workflows
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE workflow_versions (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id        uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version            text NOT NULL CHECK (version ~ '^[0-9]+\.[0-9]+\.[0-9]+$'),
    definition         jsonb NOT NULL,
    definition_digest  bytea NOT NULL,
    model_pins         jsonb NOT NULL DEFAULT '{}'::jsonb,  -- LLM versions locked at publish time
    published_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    published_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workflow_id, version)
);

CREATE TRIGGER workflow_versions_immutable
    BEFORE UPDATE ON workflow_versions
    FOR EACH ROW EXECUTE FUNCTION forbid_update();

CREATE TABLE policies (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          text NOT NULL,
    version       integer NOT NULL DEFAULT 1 CHECK (version > 0),
    language      text NOT NULL DEFAULT 'rego' CHECK (language IN ('rego')),
    source        text NOT NULL,
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name, version)
);

CREATE TABLE policy_bindings (
    workflow_id  uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    policy_id    uuid NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    priority     integer NOT NULL DEFAULT 100,
    PRIMARY KEY (workflow_id, policy_id)
);

-- migrate:down
DROP TABLE policy_bindings;
DROP TABLE policies;
DROP TABLE workflow_versions;
DROP TABLE workflows;
DROP FUNCTION forbid_update();
