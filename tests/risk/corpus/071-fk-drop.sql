-- expect: drop-foreign-key
ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;
