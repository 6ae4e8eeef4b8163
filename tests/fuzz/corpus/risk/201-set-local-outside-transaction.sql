-- expect: missing-lock-timeout
-- options: assume-no-timeouts
-- pgstep:no-transaction
SET LOCAL lock_timeout = '1s';
ALTER TABLE users ADD COLUMN bio text;
