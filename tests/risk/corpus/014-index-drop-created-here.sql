-- expect: (none)
CREATE TABLE scratch (id int, v text);
CREATE INDEX scratch_v_idx ON scratch (v);
DROP INDEX scratch_v_idx;
