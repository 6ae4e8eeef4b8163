-- expect: missing-lock-timeout
-- options: assume-no-timeouts
BEGIN;
SET LOCAL lock_timeout = '1s';
ALTER TABLE users ADD COLUMN bio text;
COMMIT;
ALTER TABLE users ADD COLUMN motto text;
