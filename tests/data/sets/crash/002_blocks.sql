-- pgstep:note Crash harness: the file's own transaction blocks.
BEGIN;
CREATE TABLE blk1 (id int);
INSERT INTO c SELECT g, '002a' FROM generate_series(1, 5000) g, pg_sleep(0.1);
COMMIT;
BEGIN;
CREATE TABLE blk2 (id int);
INSERT INTO c SELECT g, '002b' FROM generate_series(1, 5000) g, pg_sleep(0.1);
COMMIT;
