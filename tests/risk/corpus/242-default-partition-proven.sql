-- expect: attach-partition-scan
-- info: missing-statement-timeout
-- pgstep:no-transaction
-- A validated CHECK on the default partition that excludes the new bound
-- spares its scan (it is still locked ACCESS EXCLUSIVE).
ALTER TABLE events ATTACH PARTITION events_default DEFAULT;
ALTER TABLE events_default ADD CONSTRAINT events_default_not_2026
	CHECK (at < '2026-01-01' OR at >= '2027-01-01') NOT VALID;
ALTER TABLE events_default VALIDATE CONSTRAINT events_default_not_2026;
ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
