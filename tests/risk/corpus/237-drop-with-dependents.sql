-- expect: drop-with-dependents
-- info: create-trigger-blocks-writes, missing-statement-timeout
-- The trigger still uses the function: the DROP fails (2BP01).
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER users_audit BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit_row();
DROP FUNCTION audit_row();
