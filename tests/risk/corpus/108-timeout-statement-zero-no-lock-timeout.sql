-- expect: lock-timeout-disabled
-- options: assume-no-timeouts
SET statement_timeout = 0;
ALTER TABLE users ADD COLUMN bio text;
