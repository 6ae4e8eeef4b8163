-- pgstep:note Creates data_boundary_contracts: per-workspace rules saying which representations of a file (metadata only, summary, full text, embedding) may be persisted and for how long. Nothing uses them yet; 016 links project_files to them.
-- pgstep:requires 001
-- migrate:up
CREATE TABLE data_boundary_contracts (
    contract_id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id             uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name                     text NOT NULL,
    persistence_mode         text NOT NULL DEFAULT 'metadata_only'
                             CHECK (persistence_mode IN ('metadata_only', 'summary', 'full')),
    allowed_representations  text[] NOT NULL DEFAULT ARRAY['metadata']::text[],
    retention_days           integer CHECK (retention_days > 0),
    status                   text NOT NULL DEFAULT 'active'
                             CHECK (status IN ('draft', 'active', 'revoked')),
    created_by               text NOT NULL,     -- a user email, or 'migration:NNN' for generated rows
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name)
);

CREATE TRIGGER data_boundary_contracts_set_updated_at
    BEFORE UPDATE ON data_boundary_contracts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- migrate:down
DROP TABLE data_boundary_contracts;
