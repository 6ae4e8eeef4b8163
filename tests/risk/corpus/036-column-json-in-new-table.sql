-- expect: json-column
CREATE TABLE webhooks (id bigint PRIMARY KEY, body json NOT NULL);
