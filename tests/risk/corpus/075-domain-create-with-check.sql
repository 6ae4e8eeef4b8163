-- expect: (none)
-- info: create-domain-with-constraint
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
