-- expect: problem
ALTER TABLE users ADD COLUMN;
DROP TABLE sessions;
