-- expect: pk-using-index-nullable
ALTER TABLE legacy_events ADD COLUMN uid uuid;
CREATE UNIQUE INDEX CONCURRENTLY legacy_events_uid_idx ON legacy_events (uid);
ALTER TABLE legacy_events ADD CONSTRAINT legacy_events_pkey PRIMARY KEY USING INDEX legacy_events_uid_idx;
