-- expect: (none)
-- info: missing-statement-timeout
ALTER TYPE money_pair ALTER ATTRIBUTE amount SET DATA TYPE bigint;
ALTER TYPE money_pair DROP ATTRIBUTE note;
