-- expect: (none)
-- info: (none)
-- Statements on a partitioned table lock its partitions too (sub-partitions
-- included); ATTACH and DETACH lock only the partition they name.
BEGIN;
CREATE TABLE readings (at timestamptz NOT NULL, device int NOT NULL, v float8)
    PARTITION BY RANGE (at);
CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE readings_2025 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
    PARTITION BY LIST (device);
CREATE TABLE readings_2025_d1 PARTITION OF readings_2025 FOR VALUES IN (1);
COMMIT;
ALTER TABLE readings ADD COLUMN unit text;
CREATE INDEX readings_device_idx ON readings (device);
TRUNCATE readings;
ALTER TABLE readings DETACH PARTITION readings_2024;
DROP TABLE readings;
