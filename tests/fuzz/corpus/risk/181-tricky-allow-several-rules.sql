-- expect: (none)
-- pgstep:allow truncate-table, truncate-cascade reason: cache tables rebuilt on boot
TRUNCATE cache_a CASCADE;
