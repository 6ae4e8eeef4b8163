-- pgstep:note fine
-- pgstep:frobnicate now
CREATE TABLE a (id int);
