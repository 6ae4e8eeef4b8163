6-- migrate:up
CREATE TABLE t1 (id int);
