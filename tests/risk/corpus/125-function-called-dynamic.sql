-- expect: dynamic-sql-unanalyzable
CREATE OR REPLACE FUNCTION add_col(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'ALTER TABLE ' || quote_ident(t) || ' ADD COLUMN x int';
END
$$;
SELECT add_col('users');
