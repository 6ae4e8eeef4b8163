-- expect: attach-partition-scan, create-partition-locks-parent, default-partition-scan, lock-held-across-statements
-- info: missing-statement-timeout, multiple-alter-same-table
-- Once events has a default partition, each new partition makes PostgreSQL
-- scan the default one under ACCESS EXCLUSIVE.
ALTER TABLE events ATTACH PARTITION events_default DEFAULT;
ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
