-- expect: add-fk-without-not-valid
-- info: fk-locks-referenced-table, missing-statement-timeout
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
