-- expect: (none)
-- info: (none)
DO $$ BEGIN RAISE NOTICE 'DROP TABLE users; ALTER TABLE x SET NOT NULL'; END $$;
