-- expect: drop-table
SELECT 1;
DROP TABLE sessions