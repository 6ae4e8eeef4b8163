-- pgstep:note Widens metering_events.quantity from integer to bigint, because storage_bytes readings overflow 2^31. RISKY: changing integer to bigint rewrites the whole table and all its indexes under ACCESS EXCLUSIVE; the down rewrites it again and fails if a value no longer fits in integer.
-- pgstep:requires 006
-- migrate:up
ALTER TABLE metering_events ALTER COLUMN quantity TYPE bigint;

-- migrate:down
ALTER TABLE metering_events ALTER COLUMN quantity TYPE integer;
