-- expect: create-index-non-concurrent
-- info: unique-may-fail-on-duplicates, missing-statement-timeout
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
