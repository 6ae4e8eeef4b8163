-- expect: delete-without-where
CREATE FUNCTION purge_all() RETURNS void LANGUAGE sql
BEGIN ATOMIC
  DELETE FROM sessions;
END;
SELECT purge_all();
