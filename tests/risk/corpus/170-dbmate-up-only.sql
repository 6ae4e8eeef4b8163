-- expect: (none)
-- info: irreversible-migration, missing-statement-timeout
-- migrate:up
ALTER TABLE users ADD COLUMN bio text;
