0-- pgstep:note
-- pgstep:requires 001, 099
CREATE TABLE d (id int);
