-- expect: truncate-table
CREATE PROCEDURE reset_cache() LANGUAGE plpgsql AS $$ BEGIN TRUNCATE cache_entries; END $$;
CALL reset_cache();
