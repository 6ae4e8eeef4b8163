-- expect: (none)
-- info: fk-locks-referenced-table, missing-statement-timeout
CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id));
CREATE INDEX order_items_order_idx ON order_items (order_id);
