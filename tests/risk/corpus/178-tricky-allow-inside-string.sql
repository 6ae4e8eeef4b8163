-- expect: drop-table
SELECT '-- pgstep:allow drop-table reason: not a comment';
DROP TABLE sessions;
