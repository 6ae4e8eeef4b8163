-- pgstep:note Creates encrypted storage for bring-your-own LLM provider keys and connector credentials, and a log of secret rotations. The up section carries its own BEGIN/COMMIT, as the original files did; pgstep uses them as the migration's transaction instead of nesting another one.
-- migrate:up
BEGIN;

-- Secrets are envelope-encrypted by the application (KMS); the database only
-- ever sees ciphertext and the id of the KMS key that wrapped it.
CREATE TABLE provider_keys (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id       uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider           text NOT NULL
                       CHECK (provider IN ('openai', 'azure_openai', 'anthropic', 'cohere', 'mistral')),
    label              text NOT NULL,
    encrypted_key      bytea NOT NULL,
    kms_key_id         text NOT NULL,
    validation_status  text NOT NULL DEFAULT 'pending'
                       CHECK (validation_status IN ('pending', 'valid', 'invalid')),
    last_validated_at  timestamptz,
    rotated_at         timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, provider, label)
);

CREATE TABLE connector_installations (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id      uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    connector_type    text NOT NULL,      -- e.g. 'slack', 'jira', 'gdrive'
    display_name      text NOT NULL,
    encrypted_config  bytea,
    kms_key_id        text,
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    installed_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX connector_installations_workspace_idx ON connector_installations (workspace_id);

CREATE TABLE secret_rotation_log (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_key_id            uuid REFERENCES provider_keys (id) ON DELETE CASCADE,
    connector_installation_id  uuid REFERENCES connector_installations (id) ON DELETE CASCADE,
    rotated_by                 uuid REFERENCES users (id) ON DELETE SET NULL,
    reason                     text NOT NULL,
    rotated_at                 timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT secret_rotation_log_one_target
        CHECK ((provider_key_id IS NULL) <> (connector_installation_id IS NULL))
);

COMMIT;

-- migrate:down
DROP TABLE secret_rotation_log;
DROP TABLE connector_installations;
DROP TABLE provider_keys;
