-- expect: alter-type-column-used-by-view
-- info: missing-statement-timeout
-- Even a catalog-only widening fails (0A000) while a view uses the column.
CREATE VIEW user_names AS SELECT id, name FROM users;
ALTER TABLE users ALTER COLUMN name TYPE varchar(200);
