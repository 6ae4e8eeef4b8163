-- expect: (none)
-- info: (none)
-- pgstep:no-transaction
-- The same backfill in a non-transactional migration commits per batch.
DO $$
DECLARE
	n int;
BEGIN
	LOOP
		UPDATE users SET seen = true
		 WHERE id IN (SELECT id FROM users WHERE NOT seen LIMIT 500);
		GET DIAGNOSTICS n = ROW_COUNT;
		EXIT WHEN n = 0;
		COMMIT;
	END LOOP;
END $$;
