-- pgstep:note Creates identity: users (people and service accounts), the RBAC roles and their permissions, workspace memberships, API keys and login sessions. API keys carry a `type` column limited to 'standard' and 'service'; migration 011 renames it to key_type.
-- migrate:up
CREATE TABLE users (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email               text NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
    display_name        text,
    oidc_issuer         text,
    oidc_sub            text,           -- subject claim; one user may log in through several IdPs
    is_service_account  boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, email),
    UNIQUE (oidc_issuer, oidc_sub)
);

CREATE TRIGGER users_set_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE roles (
    name         text PRIMARY KEY,
    description  text NOT NULL,
    is_builtin   boolean NOT NULL DEFAULT false
);

CREATE TABLE role_permissions (
    role_name   text NOT NULL REFERENCES roles (name) ON UPDATE CASCADE ON DELETE CASCADE,
    permission  text NOT NULL CHECK (permission ~ '^[a-z_]+:[a-z_*]+$'),
    PRIMARY KEY (role_name, permission)
);

CREATE TABLE memberships (
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_name     text NOT NULL REFERENCES roles (name) ON UPDATE CASCADE ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
);

CREATE INDEX memberships_user_idx ON memberships (user_id);

-- Keys are stored hashed; key_prefix is the first characters shown in the UI.
CREATE TABLE api_keys (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       uuid REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL,
    type          varchar(50) NOT NULL DEFAULT 'standard',
    key_prefix    text NOT NULL,
    key_hash      bytea NOT NULL UNIQUE,
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_type_check CHECK (type IN ('standard', 'service'))
);

CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id);

CREATE TABLE sessions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    user_agent  text,
    client_ip   inet
);

CREATE INDEX sessions_user_idx ON sessions (user_id);

-- migrate:down
DROP TABLE sessions;
DROP TABLE api_keys;
DROP TABLE memberships;
DROP TABLE role_permissions;
DROP TABLE roles;
DROP TABLE users;
