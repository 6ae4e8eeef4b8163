-- expect: (none)
BEGIN;
LOCK TABLE users IN ACCESS SHARE MODE;
SELECT count(*) FROM users;
COMMIT;
