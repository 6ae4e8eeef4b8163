-- pgstep:requires 001
-- pgstep:allow table-rewrite reason: table is empty in every tenant
CREATE TABLE users (id bigint PRIMARY KEY, tenant_id bigint REFERENCES tenants);
