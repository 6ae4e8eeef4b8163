CREATE TABLE e (id int);
-- pgstep:no-transaction
