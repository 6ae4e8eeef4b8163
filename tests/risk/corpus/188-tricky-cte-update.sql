-- expect: (none)
WITH stale AS (SELECT id FROM sessions WHERE expires_at < now())
DELETE FROM sessions USING stale WHERE sessions.id = stale.id;
