-- expect: transaction-nesting
-- info: multiple-alter-same-table, missing-statement-timeout
BEGIN;
ALTER TABLE users ADD COLUMN bio text;
BEGIN;
ALTER TABLE users ADD COLUMN motto text;
COMMIT;
