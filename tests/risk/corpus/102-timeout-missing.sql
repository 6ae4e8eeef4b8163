-- expect: missing-lock-timeout
-- options: assume-no-timeouts
ALTER TABLE users ADD COLUMN bio text;
