CREATE TABLE b (id int);
-- migrate:up
CREATE TABLE c (id int);
