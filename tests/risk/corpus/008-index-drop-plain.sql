-- expect: drop-index-non-concurrent
DROP INDEX users_email_idx;
