-- expect: alter-column-type-rewrite
-- info: missing-statement-timeout, multiple-alter-same-table
ALTER TABLE documents ADD COLUMN title text, ADD COLUMN code varchar(10), ADD COLUMN price numeric(10,2);
ALTER TABLE documents ALTER COLUMN title TYPE varchar(200);
ALTER TABLE documents ALTER COLUMN code TYPE varchar(5);
ALTER TABLE documents ALTER COLUMN price TYPE numeric(12,3);
