0-- pgstep:baseline
CREATE TABLE g (id int);
