0-- migrate:up
CREATE TABLE f (id int); -- migrate:down
