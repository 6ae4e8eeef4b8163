-- expect: alter-column-type-rewrite
-- info: missing-statement-timeout
ALTER TABLE pg_orders ALTER COLUMN total TYPE bigint;
