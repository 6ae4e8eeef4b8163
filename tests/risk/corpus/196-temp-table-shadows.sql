-- expect: (none)
-- info: (none)
CREATE TEMP TABLE users (id bigint);
ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
DROP TABLE users;
