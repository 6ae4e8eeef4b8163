-- expect: non-transactional-in-transaction
BEGIN;
VACUUM users;
COMMIT;
