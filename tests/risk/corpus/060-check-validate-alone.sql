-- expect: (none)
-- info: (none)
ALTER TABLE orders VALIDATE CONSTRAINT orders_qty_positive;
