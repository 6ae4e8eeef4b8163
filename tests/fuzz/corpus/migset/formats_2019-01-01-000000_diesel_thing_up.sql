5-- pgstep:baseline
CREATE TABLE diesel_thing (id int);
