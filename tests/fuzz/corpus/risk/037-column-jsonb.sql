-- expect: (none)
ALTER TABLE events ADD COLUMN payload jsonb;
