-- expect: drop-column, drop-column-with-dependents
CREATE VIEW active_users AS SELECT id, email FROM users WHERE deleted_at IS NULL;
ALTER TABLE users DROP COLUMN email;
