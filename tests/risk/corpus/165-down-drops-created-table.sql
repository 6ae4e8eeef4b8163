-- expect: (none)
-- info: down-loses-data, missing-statement-timeout
-- migrate:up
CREATE TABLE webhooks (id bigint PRIMARY KEY, url text NOT NULL);
-- migrate:down
DROP TABLE webhooks;
