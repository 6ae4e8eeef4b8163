-- expect: non-transactional-in-transaction
BEGIN;
REINDEX INDEX CONCURRENTLY users_email_idx;
COMMIT;
