-- expect: alter-column-type-rewrite
CREATE TYPE tx_status AS ENUM ('pending', 'confirmed', 'failed');
ALTER TABLE blockchain_transactions ALTER COLUMN status TYPE tx_status USING status::tx_status;
