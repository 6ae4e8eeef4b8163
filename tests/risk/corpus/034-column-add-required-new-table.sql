-- expect: (none)
CREATE TABLE invoices (id bigint PRIMARY KEY);
ALTER TABLE invoices ADD COLUMN tenant_id bigint NOT NULL;
