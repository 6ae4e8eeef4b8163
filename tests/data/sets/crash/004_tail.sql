-- pgstep:note Crash harness: a transactional migration after the others.
CREATE TABLE tail (id int);
INSERT INTO c SELECT g, '004' FROM generate_series(1, 2000) g, pg_sleep(0.05);
