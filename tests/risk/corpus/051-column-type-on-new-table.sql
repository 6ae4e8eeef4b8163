-- expect: (none)
CREATE TABLE drafts (id int, title varchar(50));
ALTER TABLE drafts ALTER COLUMN id TYPE bigint;
