-- expect: non-transactional-in-transaction
BEGIN; -- pgstep runs this as written
/* build the index */ CREATE INDEX CONCURRENTLY
  users_email_idx ON users (email);
COMMIT;
