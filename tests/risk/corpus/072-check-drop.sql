-- expect: (none)
-- info: drop-constraint, missing-statement-timeout
ALTER TABLE orders DROP CONSTRAINT orders_qty_positive;
