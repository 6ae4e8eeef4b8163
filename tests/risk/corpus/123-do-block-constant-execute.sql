-- expect: drop-table
DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'sessions'; END $$;
