-- expect: (none)
-- info: missing-statement-timeout
ALTER TABLE users ADD COLUMN last_seen_at timestamptz;
