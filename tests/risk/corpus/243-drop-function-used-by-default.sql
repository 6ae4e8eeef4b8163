-- expect: add-column-volatile-default, drop-with-dependents
-- info: missing-statement-timeout
-- The column's default calls the function: dropping it fails (2BP01).
CREATE FUNCTION app_code() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'x'; END $$;
ALTER TABLE users ADD COLUMN code text DEFAULT app_code();
DROP FUNCTION app_code();
