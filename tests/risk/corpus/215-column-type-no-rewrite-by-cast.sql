-- expect: (none)
-- info: missing-statement-timeout, multiple-alter-same-table
ALTER TABLE documents ADD COLUMN title text, ADD COLUMN raw xml, ADD COLUMN code varchar(10),
	ADD COLUMN price numeric(10,2), ADD COLUMN seen_at timestamp(3), ADD COLUMN net cidr;
ALTER TABLE documents ALTER COLUMN title TYPE varchar;
ALTER TABLE documents ALTER COLUMN raw TYPE text;
ALTER TABLE documents ALTER COLUMN code TYPE varchar(20);
ALTER TABLE documents ALTER COLUMN price TYPE numeric(12,2);
ALTER TABLE documents ALTER COLUMN seen_at TYPE timestamp;
ALTER TABLE documents ALTER COLUMN net TYPE inet;
