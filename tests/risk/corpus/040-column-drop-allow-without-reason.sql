-- expect: drop-column, problem
-- pgstep:allow drop-column
ALTER TABLE users DROP COLUMN legacy_flag;
