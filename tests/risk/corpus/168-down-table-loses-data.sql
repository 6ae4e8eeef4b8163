-- expect: down-loses-data
-- migrate:up
CREATE TABLE webhooks (id bigint PRIMARY KEY);
INSERT INTO webhooks VALUES (1);
-- migrate:down
DROP TABLE webhooks;
