-- expect: (none)
ALTER TABLE users ALTER COLUMN name TYPE varchar(200);
