-- expect: alter-column-type-rewrite
ALTER TABLE events ALTER COLUMN id TYPE bigint;
