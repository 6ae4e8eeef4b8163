-- expect: (none)
-- info: missing-statement-timeout, multiple-alter-same-table
ALTER VIEW user_names SET (security_barrier = true);
ALTER INDEX documents_body_gin SET (fastupdate = off);
ALTER TABLE users SET (fillfactor = 70, autovacuum_enabled = false);
ALTER TABLE users SET (fillfactor = 80, user_catalog_table = true);
ALTER TABLE users RESET (toast.autovacuum_enabled, fillfactor);
ALTER VIEW user_names RESET (check_option);
