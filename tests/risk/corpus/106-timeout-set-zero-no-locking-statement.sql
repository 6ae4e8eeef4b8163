-- expect: (none)
SET lock_timeout = 0;
SELECT count(*) FROM users;
