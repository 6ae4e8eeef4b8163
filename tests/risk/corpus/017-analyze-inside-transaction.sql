-- expect: (none)
ANALYZE users;
ALTER TABLE users ADD COLUMN x int;
