-- expect: add-column-constrained-domain
-- info: create-domain-with-constraint, missing-statement-timeout
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
ALTER TABLE orders ADD COLUMN quantity2 positive_int;
