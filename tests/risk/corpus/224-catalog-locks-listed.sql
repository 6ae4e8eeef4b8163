-- expect: reindex-non-concurrent, vacuum-full-or-cluster
-- info: missing-statement-timeout, non-transactional-mixed
REINDEX TABLE pg_catalog.pg_am;
SELECT amname FROM pg_am;
VACUUM FULL pg_class;
