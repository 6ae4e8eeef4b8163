-- pgstep:note Creates billing_transactions, one row per charge or refund sent to the payment provider for a workspace's usage period. Its status is free text, like the original ledger table; 013 converts it to an enum.
-- pgstep:requires 001
-- migrate:up
CREATE TABLE billing_transactions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    period_start  date NOT NULL,
    amount_cents  bigint NOT NULL,
    currency      text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    external_ref  text,                    -- the payment provider's transaction id
    status        text NOT NULL DEFAULT 'pending',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX billing_transactions_workspace_period_idx
    ON billing_transactions (workspace_id, period_start);
-- The reconciliation job only looks at pending rows.
CREATE INDEX billing_transactions_pending_idx
    ON billing_transactions (created_at) WHERE status = 'pending';

CREATE TRIGGER billing_transactions_set_updated_at
    BEFORE UPDATE ON billing_transactions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- migrate:down
DROP TABLE billing_transactions;
