CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$ BEGIN RETURN 1; END $fn$;
SELECT ';' , $$;$$ ; /* ; */ -- ;
