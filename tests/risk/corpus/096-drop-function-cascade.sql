-- expect: drop-cascade
DROP FUNCTION IF EXISTS app.current_tenant() CASCADE;
