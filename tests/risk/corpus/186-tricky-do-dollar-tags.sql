-- expect: create-index-non-concurrent
DO $body$
BEGIN
  -- $$ inside the body is text
  RAISE NOTICE '$$; DROP TABLE x; $$';
  CREATE INDEX users_created_idx ON users (created_at);
END
$body$;
