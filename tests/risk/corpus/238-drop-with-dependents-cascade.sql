-- expect: drop-cascade, drop-with-dependents
-- info: (none)
-- With CASCADE the view that calls the function goes too: the finding names it.
CREATE FUNCTION normalize_email(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower($1) $$;
CREATE VIEW user_emails AS SELECT id, normalize_email(email) AS email FROM users;
DROP FUNCTION normalize_email(text) CASCADE;
