-- expect: problem, create-index-non-concurrent, drop-column
-- info: missing-statement-timeout
CREATE INDEX users_email_idx ON users (email);
ALTER TABLE users ALTER COLUMN flags SET EXPRESSION AS (c + 1);
ALTER TABLE users DROP COLUMN legacy_flag;
CREATE FUNCTION answer() RETURNS int LANGUAGE sql
BEGIN ATOMIC
	SELECT 42;
END;
