-- expect: (none)
BEGIN;
ALTER TABLE users ADD COLUMN handle varchar(20);
COMMIT;
ALTER TABLE users ALTER COLUMN handle TYPE varchar(40);
ALTER TABLE users ALTER COLUMN handle TYPE text;
