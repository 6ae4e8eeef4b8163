-- expect: truncate-table
TRUNCATE TABLE sessions;
