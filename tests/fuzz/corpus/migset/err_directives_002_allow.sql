0-- a comment
-- pgstep:note x
-- pgstep:allow table-rewrite
CREATE TABLE b (id int);
