-- expect: (none)
-- Teardown of the import staging tables.
-- pgstep:allow drop-table reason: staging tables, refilled nightly

DROP TABLE staging_users;
DROP TABLE staging_orders;
