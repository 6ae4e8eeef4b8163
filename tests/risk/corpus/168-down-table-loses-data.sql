-- expect: (none)
-- info: down-loses-data, missing-statement-timeout
-- migrate:up
CREATE TABLE webhooks (id bigint PRIMARY KEY);
INSERT INTO webhooks VALUES (1);
-- migrate:down
DROP TABLE webhooks;
