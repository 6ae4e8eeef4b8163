-- expect: drop-column
-- migration: retire two columns

-- pgstep:allow drop-column reason: unused since 2023
ALTER TABLE users DROP COLUMN legacy_a;
ALTER TABLE users DROP COLUMN legacy_b;
