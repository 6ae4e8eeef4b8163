-- pgstep:note Crash harness (tests/integration/crash.sh): one transaction.
-- Every statement of this set leaves an effect the harness can see (an
-- object, or rows tagged with their statement), so that the history can be
-- compared with the schema and the data after an interruption.
CREATE TABLE c (id int NOT NULL, tag text NOT NULL);
CREATE TABLE big (id int NOT NULL, v text NOT NULL);
-- Slows an index build down by a known amount (5 ms every 1000 rows).
CREATE FUNCTION crash_slow(i int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
	IF i % 1000 = 0 THEN
		PERFORM pg_sleep(0.005);
	END IF;
	RETURN i;
END
$$;
INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 60000) g;
INSERT INTO c SELECT g, '001' FROM generate_series(1, 1000) g, pg_sleep(0.05);
