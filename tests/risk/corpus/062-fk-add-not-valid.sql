-- expect: (none)
-- info: fk-locks-referenced-table, missing-statement-timeout
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
