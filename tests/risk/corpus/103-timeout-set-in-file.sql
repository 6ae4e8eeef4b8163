-- expect: (none)
-- info: (none)
-- options: assume-no-timeouts
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN bio text;
