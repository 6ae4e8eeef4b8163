-- expect: (none)
-- info: drop-constraint, multiple-alter-same-table, missing-statement-timeout
BEGIN;
ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;
COMMIT;
BEGIN;
ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;
COMMIT;
BEGIN;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_email_nn;
COMMIT;
