-- pgstep:note Creates the append-only, hash-chained audit log, raw usage metering events, their hourly/daily/monthly rollups and the tenant's audit settings. audit_events deliberately has no foreign keys: an audit record must outlive the user or workspace it talks about.
-- migrate:up
CREATE FUNCTION forbid_audit_rewrite() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TABLE audit_events (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id       uuid,
    actor_id           uuid,
    actor_type         text NOT NULL CHECK (actor_type IN ('user', 'service', 'system')),
    action             text NOT NULL,           -- e.g. 'workflow.created', 'key.rotated'
    resource_type      text,
    resource_id        text,
    source             text NOT NULL CHECK (source IN ('api', 'ui', 'scheduled')),
    payload            jsonb NOT NULL DEFAULT '{}'::jsonb,
    previous_event_id  bigint,
    event_hash         bytea NOT NULL,          -- sha256(previous hash || this event)
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION forbid_audit_rewrite();

CREATE TABLE metering_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    run_id         uuid REFERENCES runs (id) ON DELETE SET NULL,
    meter          text NOT NULL
                   CHECK (meter IN ('llm_tokens', 'connector_calls', 'api_calls', 'storage_bytes')),
    quantity       integer NOT NULL CHECK (quantity >= 0),  -- widened to bigint in 022
    unit_cost_usd  numeric(12, 6),
    occurred_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE usage_summary (
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    granularity   text NOT NULL CHECK (granularity IN ('hour', 'day', 'month')),
    period_start  timestamptz NOT NULL,
    meter         text NOT NULL,
    quantity      bigint NOT NULL DEFAULT 0,
    cost_usd      numeric(14, 6) NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, granularity, period_start, meter)
);

-- One row per tenant schema (the singleton column can only be true).
CREATE TABLE audit_config (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    retention_days  integer NOT NULL DEFAULT 365 CHECK (retention_days >= 30),
    export_enabled  boolean NOT NULL DEFAULT false,
    export_target   text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER audit_config_set_updated_at
    BEFORE UPDATE ON audit_config
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- migrate:down
DROP TABLE audit_config;
DROP TABLE usage_summary;
DROP TABLE metering_events;
DROP TABLE audit_events;
DROP FUNCTION forbid_audit_rewrite();
