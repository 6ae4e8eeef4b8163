-- expect: delete-without-where
CREATE FUNCTION purge_sessions() RETURNS void LANGUAGE sql AS 'DELETE FROM sessions';
SELECT purge_sessions();
