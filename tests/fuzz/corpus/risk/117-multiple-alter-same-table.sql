-- expect: (none)
-- info: multiple-alter-same-table, missing-statement-timeout
ALTER TABLE users ADD COLUMN a text;
ALTER TABLE users ADD COLUMN b text;
