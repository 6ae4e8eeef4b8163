-- expect: problem, drop-table
ALTER TABLE users ADD COLUMN;
DROP TABLE sessions;
