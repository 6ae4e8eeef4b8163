-- expect: transaction-control-in-transaction
-- info: (none)
-- A procedure that commits fails when CALLed inside a transaction block.
CREATE PROCEDURE backfill_seen() LANGUAGE plpgsql AS $$
BEGIN
	UPDATE users SET seen = true WHERE id <= 1000;
	COMMIT;
	UPDATE users SET seen = true WHERE id > 1000;
END $$;
CALL backfill_seen();
