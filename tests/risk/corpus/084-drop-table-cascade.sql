-- expect: drop-table, drop-cascade
DROP TABLE IF EXISTS sessions CASCADE;
