-- expect: (none)
-- info: (none)
CREATE TABLE audit_log (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, at timestamptz NOT NULL);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, at);
