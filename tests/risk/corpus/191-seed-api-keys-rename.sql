-- expect: rename-column
-- The seeds' rename that broke authentication.
ALTER TABLE api_keys RENAME COLUMN type TO key_type;
CREATE INDEX CONCURRENTLY IF NOT EXISTS api_keys_key_type_idx ON api_keys (key_type);
