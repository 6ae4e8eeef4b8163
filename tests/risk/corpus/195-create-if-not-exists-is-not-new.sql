-- expect: add-column-required
CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY);
ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
