-- expect: (none)
CREATE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM sessions;
  DROP TABLE users;
END
$$;
