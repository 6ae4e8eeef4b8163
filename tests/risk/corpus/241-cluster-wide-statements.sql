-- expect: cluster-wide-statement
-- info: (none)
-- Run once per tenant, each of these fails or clobbers on the second
-- tenant of the same cluster (roles) or database (publications).
CREATE ROLE reporting_ro NOLOGIN;
ALTER ROLE reporting_ro SET statement_timeout = '5s';
CREATE PUBLICATION orders_pub FOR TABLE orders;
