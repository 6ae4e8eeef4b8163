-- expect: (none)
-- info: missing-statement-timeout
CREATE OR REPLACE VIEW user_names AS SELECT id, name FROM users;
