-- expect: explicit-lock-table
BEGIN;
LOCK TABLE users;
UPDATE users SET x = 1 WHERE id = 2;
COMMIT;
