-- expect: (none)
-- info: cic-pg14-corruption
-- options: server=140002
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
