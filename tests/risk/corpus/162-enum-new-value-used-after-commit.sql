-- expect: (none)
BEGIN;
ALTER TYPE order_status ADD VALUE 'refunded' AFTER 'paid';
COMMIT;
UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;
