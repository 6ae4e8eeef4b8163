-- expect: alter-column-type-rewrite
-- info: multiple-alter-same-table, missing-statement-timeout
ALTER TABLE users ADD COLUMN nick text;
ALTER TABLE users ALTER COLUMN nick TYPE varchar(20);
