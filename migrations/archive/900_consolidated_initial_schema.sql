-- pgstep:note RETIRED, never applied: an early attempt to fold 001-006 into one consolidated initial schema. It silently lost features of the files it replaced (region immutability trigger, workflow version immutability, audit append-only guard, secrets and metering tables), which is why the set went back to incremental migrations.
-- migrate:up
CREATE TABLE tenants (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    region      text NOT NULL CHECK (region IN ('us', 'eu')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspaces (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slug        text NOT NULL,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, slug)
);

CREATE TABLE users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, email)
);

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          text NOT NULL,
    type          varchar(50) NOT NULL DEFAULT 'standard',
    key_hash      bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_type_check CHECK (type IN ('standard', 'service'))
);

CREATE TABLE workflows (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          text NOT NULL,
    definition    jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE runs (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id   uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    status        text NOT NULL DEFAULT 'queued',
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action      text NOT NULL,
    payload     jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE audit_events;
DROP TABLE runs;
DROP TABLE workflows;
DROP TABLE api_keys;
DROP TABLE users;
DROP TABLE workspaces;
DROP TABLE tenants;
