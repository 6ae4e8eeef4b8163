-- migrate:up
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	-- migrate:down
	NEW.updated_at := now(); RETURN NEW;
END;
$$;
-- migrate:down
DROP FUNCTION touch();
