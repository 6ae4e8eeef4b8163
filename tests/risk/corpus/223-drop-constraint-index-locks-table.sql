-- expect: add-unique-constraint-blocking, drop-index-non-concurrent, drop-cascade
-- info: unique-may-fail-on-duplicates, missing-statement-timeout
ALTER TABLE customers ADD CONSTRAINT customers_name_key UNIQUE (name);
DROP INDEX customers_name_key CASCADE;
