-- expect: transaction-control-in-transaction
-- info: (none)
-- A batched backfill that commits after each batch cannot run in the
-- transaction pgstep wraps the file in: its first COMMIT fails (2D000).
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
