-- expect: update-without-where
CREATE FUNCTION backfill_flags() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE users SET flags = 0;
END
$$;
SELECT backfill_flags();
