-- expect: down-loses-data
-- info: missing-statement-timeout
-- migrate:up
ALTER TABLE users ADD COLUMN bio text;
-- migrate:down
ALTER TABLE users DROP COLUMN bio;
