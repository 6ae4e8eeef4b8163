-- expect: (none)
-- info: (none)
-- A CTE's name is not a table, wherever the statement uses it; an unqualified
-- pg_* name is the catalog's. Neither is a lock worth claiming.
WITH recent AS (SELECT id FROM sessions WHERE expires_at > now() - interval '1 day')
SELECT count(*) FROM recent;
WITH gone AS (SELECT id FROM users WHERE deleted_at IS NOT NULL)
UPDATE sessions SET expires_at = now() FROM gone WHERE sessions.user_id = gone.id;
SELECT relname FROM pg_class WHERE relname = 'users';
