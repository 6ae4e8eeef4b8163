-- pgstep:note Creates the runtime tables: workflow runs, their steps, human approval gates and the tool (LLM and connector) calls they make. tool_calls.connector_installation_id has no foreign key yet because connectors arrive in 005; migration 012 adds it.
-- migrate:up
CREATE TABLE runs (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id         uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    environment_id       uuid REFERENCES environments (id) ON DELETE SET NULL,
    workflow_version_id  uuid REFERENCES workflow_versions (id),   -- made NOT NULL in 021
    status               text NOT NULL DEFAULT 'queued'
                         CHECK (status IN ('queued', 'running', 'waiting_approval',
                                           'succeeded', 'failed', 'cancelled')),
    idempotency_key      text,           -- a retried request must not start a second run
    triggered_by         uuid REFERENCES users (id) ON DELETE SET NULL,
    queued_at            timestamptz NOT NULL DEFAULT now(),
    started_at           timestamptz,
    finished_at          timestamptz,
    error                jsonb,
    CONSTRAINT runs_finished_after_started
        CHECK (finished_at IS NULL OR started_at IS NULL OR finished_at >= started_at),
    UNIQUE (workspace_id, idempotency_key)
);

CREATE INDEX runs_workspace_status_idx ON runs (workspace_id, status);

CREATE TABLE steps (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    run_id       uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq          integer NOT NULL CHECK (seq >= 0),
    name         text NOT NULL,
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
    retry_count  integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    started_at   timestamptz,
    finished_at  timestamptz,
    error        jsonb,
    UNIQUE (run_id, seq)
);

CREATE TABLE approval_requests (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    run_id        uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step_id       uuid NOT NULL REFERENCES steps (id) ON DELETE CASCADE,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    notified_at   timestamptz
);

CREATE INDEX approval_requests_run_idx ON approval_requests (run_id);

CREATE TABLE approval_decisions (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    approval_request_id  uuid NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
    decided_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    decision             text NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment              text,
    decided_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (approval_request_id, decided_by)
);

CREATE TABLE tool_calls (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id                     uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step_id                    uuid REFERENCES steps (id) ON DELETE CASCADE,
    tool_name                  text NOT NULL,
    provider                   text NOT NULL,
    model                      text,
    connector_installation_id  uuid,        -- foreign key added by 012
    tokens_in                  integer,
    tokens_out                 integer,
    cost_usd                   numeric(12, 6),
    duration_ms                integer,
    created_at                 timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tool_calls_run_idx ON tool_calls (run_id);

-- migrate:down
DROP TABLE tool_calls;
DROP TABLE approval_decisions;
DROP TABLE approval_requests;
DROP TABLE steps;
DROP TABLE runs;
