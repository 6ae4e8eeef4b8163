-- pgstep:no-transaction
-- pgstep:note Crash harness: statement by statement, short INSERTs between
-- concurrent index builds and drops (each a moment for an interruption to
-- fall between a statement's commit and the record of its progress).
INSERT INTO c SELECT g, '003a' FROM generate_series(1, 20000) g, pg_sleep(0.2);
CREATE TABLE after_fill (id int);
INSERT INTO c SELECT g, '003b' FROM generate_series(1, 1000) g, pg_sleep(0.1);
CREATE INDEX CONCURRENTLY big_v_idx ON big (v);
INSERT INTO c SELECT g, '003c' FROM generate_series(1, 1000) g, pg_sleep(0.1);
CREATE INDEX CONCURRENTLY big_slow_idx ON big (crash_slow(id));
INSERT INTO c SELECT g, '003d' FROM generate_series(1, 1000) g, pg_sleep(0.1);
DROP INDEX CONCURRENTLY big_v_idx;
INSERT INTO c SELECT g, '003e' FROM generate_series(1, 1000) g, pg_sleep(0.1);
