-- expect: lock-timeout-disabled
SET lock_timeout = '10min';
ALTER TABLE users ADD COLUMN bio text;
