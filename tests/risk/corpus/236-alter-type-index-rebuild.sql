-- expect: alter-type-index-rebuild, create-index-non-concurrent, lock-held-across-statements
-- info: missing-statement-timeout, multiple-alter-same-table
-- A new collation keeps the table's file but rebuilds the index on the
-- column; widening varchar keeps both (text_ops serves either length).
ALTER TABLE users ADD COLUMN nickname text;
CREATE INDEX users_nickname_idx ON users (nickname);
ALTER TABLE users ALTER COLUMN nickname TYPE text COLLATE "C";
ALTER TABLE users ADD COLUMN code varchar(10);
CREATE INDEX users_code_idx ON users (code);
ALTER TABLE users ALTER COLUMN code TYPE varchar(20);
