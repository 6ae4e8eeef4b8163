-- expect: validate-in-same-transaction
-- info: multiple-alter-same-table, missing-statement-timeout
ALTER TABLE orders ADD CONSTRAINT orders_qty_positive CHECK (quantity > 0) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_qty_positive;
