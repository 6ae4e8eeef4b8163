-- expect: lock-held-across-statements
ALTER TABLE accounts ADD COLUMN plan text;
INSERT INTO accounts_archive SELECT * FROM accounts;
