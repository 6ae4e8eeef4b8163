-- expect: (none)
-- info: enum-value-append-order
ALTER TYPE order_status ADD VALUE 'refunded';
