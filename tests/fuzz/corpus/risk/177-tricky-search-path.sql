-- expect: (none)
SET search_path = tenant_acme;
CREATE TABLE users (id bigint);
ALTER TABLE tenant_acme.users ADD COLUMN tenant_id bigint NOT NULL;
