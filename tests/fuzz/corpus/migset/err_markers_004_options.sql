0-- migrate:up transaction:false frob:1
CREATE INDEX CONCURRENTLY e_i ON e (id);
-- migrate:down transaction:false
DROP INDEX CONCURRENTLY e_i;
