-- expect: (none)
-- info: missing-statement-timeout
SET search_path = pg_catalog;
RESET search_path;
ALTER TABLE orders ADD COLUMN note text;
SET search_path = billing;
SET search_path TO DEFAULT;
ALTER TABLE users ADD COLUMN bio text;
