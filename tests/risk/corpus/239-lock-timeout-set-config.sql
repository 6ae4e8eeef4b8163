-- expect: lock-timeout-disabled
-- info: missing-statement-timeout
-- set_config() switches lock_timeout off as SET does.
SELECT set_config('lock_timeout', '0', false);
ALTER TABLE users ADD COLUMN bio text;
