-- expect: non-transactional-in-transaction
BEGIN;
ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;
COMMIT;
