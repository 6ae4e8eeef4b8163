-- pgstep:note Converts billing_transactions.status from free text to the billing_tx_status enum through a temporary column, and adds a transaction type. RISKY: the whole table is rewritten and stays locked until the end of the migration, unknown old values silently become 'pending', and dropping the old column also drops the partial index built on it (re-created here).
-- pgstep:requires 010
-- migrate:up
CREATE TYPE billing_tx_status AS ENUM ('pending', 'confirmed', 'failed');
CREATE TYPE billing_tx_type AS ENUM ('charge', 'refund', 'adjustment');

-- 1. temporary column with the new type
ALTER TABLE billing_transactions
    ADD COLUMN status_new billing_tx_status NOT NULL DEFAULT 'pending';

-- 2. map the old strings (no WHERE: every row is updated while the lock is held)
UPDATE billing_transactions SET status_new =
    CASE
        WHEN status = 'pending'   THEN 'pending'::billing_tx_status
        WHEN status = 'confirmed' THEN 'confirmed'::billing_tx_status
        WHEN status = 'failed'    THEN 'failed'::billing_tx_status
        ELSE 'pending'::billing_tx_status
    END;

-- 3. swap: drop the old column (and billing_transactions_pending_idx with it), rename the new one
ALTER TABLE billing_transactions DROP COLUMN status;
ALTER TABLE billing_transactions RENAME COLUMN status_new TO status;

CREATE INDEX billing_transactions_pending_idx
    ON billing_transactions (created_at) WHERE status = 'pending';

ALTER TABLE billing_transactions ADD COLUMN tx_type billing_tx_type;

-- migrate:down
ALTER TABLE billing_transactions DROP COLUMN tx_type;

-- Back to text through a temporary column, the same way.
ALTER TABLE billing_transactions ADD COLUMN status_old text NOT NULL DEFAULT 'pending';
UPDATE billing_transactions SET status_old = status::text;
ALTER TABLE billing_transactions DROP COLUMN status;
ALTER TABLE billing_transactions RENAME COLUMN status_old TO status;

CREATE INDEX billing_transactions_pending_idx
    ON billing_transactions (created_at) WHERE status = 'pending';

DROP TYPE billing_tx_type;
DROP TYPE billing_tx_status;
