-- expect: (none)
-- info: unique-may-fail-on-duplicates
CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
