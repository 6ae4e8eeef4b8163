-- expect: (none)
CREATE INDEX measurements_at_idx ON ONLY measurements (recorded_at);
