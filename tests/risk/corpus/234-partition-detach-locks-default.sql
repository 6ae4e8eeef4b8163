-- expect: attach-partition-scan, detach-partition-blocking
-- info: missing-statement-timeout, multiple-alter-same-table
-- A plain DETACH also locks the default partition ACCESS EXCLUSIVE.
ALTER TABLE events ATTACH PARTITION events_default DEFAULT;
ALTER TABLE events DETACH PARTITION events_2023;
