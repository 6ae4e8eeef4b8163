-- expect: dynamic-sql-unanalyzable
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'app' LOOP
    EXECUTE format('ALTER TABLE app.%I ADD COLUMN tenant_id bigint', t);
  END LOOP;
END
$$;
