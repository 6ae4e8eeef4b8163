-- expect: enum-new-value-used-in-transaction
ALTER TYPE order_status ADD VALUE 'archived' BEFORE 'deleted';
DO $$ BEGIN UPDATE orders SET status = 'archived' WHERE id = 1; END $$;
