-- expect: (none)
-- Creating an SQL function analyses its body, locking what its queries read
-- and write; pg_dump's check_function_bodies = off skips that. PL/pgSQL
-- bodies are only parsed.
CREATE FUNCTION active_users() RETURNS bigint LANGUAGE sql STABLE
    AS 'SELECT count(*) FROM users WHERE active';
CREATE FUNCTION expire_sessions() RETURNS void LANGUAGE sql
BEGIN ATOMIC
  UPDATE sessions SET expires_at = now() WHERE expires_at > now();
END;
SET check_function_bodies = false;
CREATE FUNCTION purge_documents() RETURNS void LANGUAGE sql AS 'DELETE FROM documents';
CREATE FUNCTION touch_docs() RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE docs SET body = body; END $$;
