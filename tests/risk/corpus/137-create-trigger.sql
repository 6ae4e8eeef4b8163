-- expect: (none)
-- info: create-trigger-blocks-writes, missing-statement-timeout
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
