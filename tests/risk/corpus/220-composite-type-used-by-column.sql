-- expect: drop-column
-- info: missing-statement-timeout
ALTER TABLE payments ADD COLUMN split money_pair;
ALTER TYPE money_pair DROP ATTRIBUTE note;
