-- expect: drop-column, drop-column-with-dependents
CREATE INDEX CONCURRENTLY users_email_name_idx ON users (email, name);
ALTER TABLE users DROP COLUMN email;
