-- expect: truncate-table
-- The second TRUNCATE empties the file the first one made, in place; a table
-- created in an earlier transaction gets a new file like any other.
BEGIN;
TRUNCATE cache_a;
TRUNCATE cache_a;
COMMIT;
BEGIN;
CREATE TABLE imports (id int);
COMMIT;
TRUNCATE imports;
