-- expect: alter-column-type-rewrite, down-loses-data
-- migrate:up
ALTER TABLE events ALTER COLUMN id TYPE bigint;
-- migrate:down
ALTER TABLE events ALTER COLUMN id TYPE integer;
