-- expect: alter-type-index-rebuild
-- info: missing-statement-timeout, non-transactional-mixed
ALTER TABLE documents ADD COLUMN created_at timestamp;
CREATE INDEX CONCURRENTLY documents_created_at_idx ON documents (created_at);
SET TIME ZONE 'UTC';
ALTER TABLE documents ALTER COLUMN created_at TYPE timestamptz;
SET timezone = 'Etc/UTC';
ALTER TABLE documents ALTER COLUMN created_at TYPE timestamp;
