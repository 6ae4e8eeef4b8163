-- expect: add-column-required
CREATE TABLE app.users (id bigint);
ALTER TABLE app.users ADD COLUMN tenant_id bigint NOT NULL;
ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
