-- pgstep:lock-timeout soon
CREATE TABLE c (id int);
