-- expect: update-without-where
EXPLAIN (ANALYZE, BUFFERS) UPDATE users SET seen = true;
