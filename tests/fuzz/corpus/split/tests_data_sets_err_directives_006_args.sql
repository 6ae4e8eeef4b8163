-- pgstep:no-transaction yes
-- pgstep:requires 007
CREATE TABLE f (id int);
