-- pgstep:note Adds tenancy tables.
-- pgstep:note Regions are immutable once set.
-- migrate:up transaction:false
-- pgstep:lock-timeout 5s

-- the table every tenant row hangs off
CREATE TABLE tenants (id bigint PRIMARY KEY, region text NOT NULL);
CREATE INDEX tenants_region ON tenants (region);

-- migrate:down
DROP TABLE tenants;
