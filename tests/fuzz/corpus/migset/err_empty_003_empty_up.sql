0-- migrate:up

-- migrate:down
DROP TABLE x;
