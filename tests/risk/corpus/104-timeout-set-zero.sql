-- expect: lock-timeout-disabled
SET lock_timeout = 0;
ALTER TABLE users ADD COLUMN bio text;
