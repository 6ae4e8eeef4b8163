-- pgstep:note Creates the tenancy tables: the tenant, its workspaces, their dev/test/staging/prod environments and per-workspace settings. A tenant's region (us or eu) is fixed when the tenant is created; a trigger rejects any later change.
-- migrate:up

-- Shared trigger function: keeps updated_at current on every UPDATE.
-- Later migrations attach it to their own tables.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- Data residency: a tenant pinned to a region must never move by accident.
CREATE FUNCTION forbid_region_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.region IS DISTINCT FROM OLD.region THEN
        RAISE EXCEPTION 'tenant % is pinned to region %; it cannot move to %',
            OLD.slug, OLD.region, NEW.region
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{1,62}$'),
    name        text NOT NULL,
    region      text NOT NULL CHECK (region IN ('us', 'eu')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER tenants_region_immutable
    BEFORE UPDATE OF region ON tenants
    FOR EACH ROW EXECUTE FUNCTION forbid_region_change();

CREATE TRIGGER tenants_set_updated_at
    BEFORE UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE workspaces (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id              uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slug                   text NOT NULL,
    name                   text NOT NULL,
    -- metadata_only: file contents are never persisted, only their metadata
    data_persistence_mode  text NOT NULL DEFAULT 'metadata_only'
                           CHECK (data_persistence_mode IN ('metadata_only', 'full')),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, slug)
);

CREATE TRIGGER workspaces_set_updated_at
    BEFORE UPDATE ON workspaces
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE environments (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (name IN ('dev', 'test', 'staging', 'prod')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name)
);

CREATE TABLE workspace_config (
    workspace_id       uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    max_members        integer CHECK (max_members > 0),
    max_storage_bytes  bigint CHECK (max_storage_bytes > 0),
    retention_days     integer NOT NULL DEFAULT 90 CHECK (retention_days > 0),
    settings           jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER workspace_config_set_updated_at
    BEFORE UPDATE ON workspace_config
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- migrate:down
DROP TABLE workspace_config;
DROP TABLE environments;
DROP TABLE workspaces;
DROP TABLE tenants;
DROP FUNCTION forbid_region_change();
DROP FUNCTION set_updated_at();
