-- expect: attach-partition-scan, detach-concurrently-default-partition
-- info: missing-statement-timeout, non-transactional-mixed
-- pgstep:no-transaction
-- With a default partition, DETACH ... CONCURRENTLY fails (55000).
ALTER TABLE events ATTACH PARTITION events_default DEFAULT;
ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;
