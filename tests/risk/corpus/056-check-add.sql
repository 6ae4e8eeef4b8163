-- expect: add-check-without-not-valid
ALTER TABLE orders ADD CONSTRAINT orders_qty_positive CHECK (quantity > 0);
