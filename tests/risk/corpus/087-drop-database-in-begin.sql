-- expect: drop-database, non-transactional-in-transaction
BEGIN;
DROP DATABASE analytics;
COMMIT;
