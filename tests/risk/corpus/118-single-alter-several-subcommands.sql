-- expect: (none)
-- info: missing-statement-timeout
ALTER TABLE users ADD COLUMN a text, ADD COLUMN b text, ALTER COLUMN c SET DEFAULT 0;
