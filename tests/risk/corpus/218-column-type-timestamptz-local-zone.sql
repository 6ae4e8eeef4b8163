-- expect: alter-column-type-rewrite
-- info: missing-statement-timeout, multiple-alter-same-table
ALTER TABLE documents ADD COLUMN created_at timestamp;
SET timezone = 'UTC';
SET timezone = 'America/New_York';
ALTER TABLE documents ALTER COLUMN created_at TYPE timestamptz;
