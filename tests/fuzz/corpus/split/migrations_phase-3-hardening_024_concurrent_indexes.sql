-- pgstep:note Builds three indexes on busy tables with CREATE INDEX CONCURRENTLY, which lets reads and writes continue but cannot run inside a transaction, so this migration runs one statement at a time. If it is interrupted, the indexes already built stay; pgstep records how far it got and resumes after them.
-- pgstep:requires 006
-- pgstep:requires 016
-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY IF NOT EXISTS metering_events_workspace_occurred_idx
    ON metering_events (workspace_id, occurred_at);

CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_events_workspace_created_idx
    ON audit_events (workspace_id, created_at);

CREATE INDEX CONCURRENTLY IF NOT EXISTS project_files_boundary_contract_idx
    ON project_files (boundary_contract_id);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS project_files_boundary_contract_idx;
DROP INDEX CONCURRENTLY IF EXISTS audit_events_workspace_created_idx;
DROP INDEX CONCURRENTLY IF EXISTS metering_events_workspace_occurred_idx;
