-- expect: lock-timeout-disabled
RESET lock_timeout;
ALTER TABLE users ALTER COLUMN bio SET DEFAULT '';
