-- expect: (none)
-- options: assume-no-timeouts
SET lock_timeout = '2s';
SET statement_timeout = 0;
CREATE INDEX CONCURRENTLY users_bio_idx ON users (bio);
