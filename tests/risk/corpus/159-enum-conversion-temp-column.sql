-- expect: enum-conversion-via-temp-column, rename-column, drop-column, update-without-where, lock-held-across-statements
-- The seed plan's conversion of blockchain_transactions.status to an enum.
CREATE TYPE tx_status AS ENUM ('pending', 'confirmed', 'failed');
ALTER TABLE blockchain_transactions ADD COLUMN status_new tx_status;
UPDATE blockchain_transactions SET status_new = CASE status
    WHEN 'ok' THEN 'confirmed'::tx_status
    WHEN 'error' THEN 'failed'::tx_status
    ELSE 'pending'::tx_status END;
ALTER TABLE blockchain_transactions DROP COLUMN status;
ALTER TABLE blockchain_transactions RENAME COLUMN status_new TO status;
