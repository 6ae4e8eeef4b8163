-- expect: (none)
-- info: non-transactional-mixed, missing-statement-timeout
-- The CONCURRENTLY build makes pgstep run this file statement by statement.
ALTER TABLE users ADD COLUMN nickname text;
CREATE INDEX CONCURRENTLY users_nickname_idx ON users (nickname);
