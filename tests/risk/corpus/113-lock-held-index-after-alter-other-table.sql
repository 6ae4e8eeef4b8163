-- expect: lock-held-across-statements, create-index-non-concurrent
ALTER TABLE accounts ADD COLUMN plan text;
CREATE INDEX orders_created_idx ON orders (created_at);
