-- expect: lock-held-across-statements, update-without-where
-- info: multiple-alter-same-table, missing-statement-timeout
ALTER TABLE files ADD COLUMN boundary text;
UPDATE files SET boundary = 'internal';
ALTER TABLE files ALTER COLUMN boundary SET DEFAULT 'internal';
