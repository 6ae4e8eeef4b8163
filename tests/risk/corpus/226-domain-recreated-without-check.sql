-- expect: (none)
-- info: create-domain-with-constraint, missing-statement-timeout
CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
DROP DOMAIN positive_int;
CREATE DOMAIN positive_int AS int;
ALTER TABLE users ADD COLUMN score positive_int;
