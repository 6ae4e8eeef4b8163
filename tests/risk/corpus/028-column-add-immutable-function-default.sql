-- expect: (none)
CREATE FUNCTION default_region() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'eu-west-1' $$;
ALTER TABLE tenants ADD COLUMN region text NOT NULL DEFAULT default_region();
