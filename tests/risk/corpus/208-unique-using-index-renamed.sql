-- expect: (none)
-- info: unique-may-fail-on-duplicates, non-transactional-mixed, missing-statement-timeout
-- USING INDEX under another name renames the index (SHARE UPDATE EXCLUSIVE on it).
CREATE UNIQUE INDEX CONCURRENTLY api_keys_key_idx ON api_keys (key);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_key_key UNIQUE USING INDEX api_keys_key_idx;
