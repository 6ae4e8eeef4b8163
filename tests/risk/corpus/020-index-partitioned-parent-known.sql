-- expect: create-index-non-concurrent, create-partition-locks-parent, lock-held-across-statements
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX events_at_idx ON events (at);
