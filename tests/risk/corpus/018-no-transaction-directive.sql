-- expect: (none)
-- info: non-transactional-mixed, missing-statement-timeout
-- pgstep:no-transaction

SET lock_timeout = '2s';
DROP INDEX CONCURRENTLY IF EXISTS users_old_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_new_idx ON users (created_at);
