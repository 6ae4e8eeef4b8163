-- expect: (none)
INSERT INTO docs (body) VALUES ($$DROP TABLE users; ALTER TABLE orders ALTER COLUMN x SET NOT NULL;$$);
INSERT INTO docs (body) VALUES ($tag$ ; TRUNCATE users CASCADE; $inner$ DELETE FROM x $inner$ $tag$);
