-- expect: drop-foreign-key
-- info: fk-locks-referenced-table, missing-statement-timeout
-- migrate:up transaction:false
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
-- migrate:down
ALTER TABLE orders DROP CONSTRAINT orders_user_fk;
