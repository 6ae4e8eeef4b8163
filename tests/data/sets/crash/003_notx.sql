-- pgstep:no-transaction
-- pgstep:note Crash harness: statement by statement, ordinary statements
-- between concurrent index builds and drops.
INSERT INTO c SELECT g, '003a' FROM generate_series(1, 20000) g, pg_sleep(0.3);
CREATE TABLE after_fill (id int);
CREATE INDEX CONCURRENTLY big_v_idx ON big (v);
CREATE INDEX CONCURRENTLY big_slow_idx ON big (crash_slow(id));
INSERT INTO c SELECT g, '003b' FROM generate_series(1, 3000) g, pg_sleep(0.15);
DROP INDEX CONCURRENTLY big_v_idx;
