6-- migrate:up
CREATE TABLE t2 (id int);
-- migrate:down
