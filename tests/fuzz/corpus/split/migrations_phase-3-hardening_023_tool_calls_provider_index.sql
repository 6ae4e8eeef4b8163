-- pgstep:note Adds an index on tool_calls (provider, created_at) for the per-provider cost report. RISKY: a plain CREATE INDEX on the biggest table blocks every INSERT, UPDATE and DELETE on tool_calls until the build ends; compare 024, which builds its indexes CONCURRENTLY.
-- pgstep:requires 004
-- migrate:up
CREATE INDEX tool_calls_provider_created_idx ON tool_calls (provider, created_at);

-- migrate:down
DROP INDEX tool_calls_provider_created_idx;
