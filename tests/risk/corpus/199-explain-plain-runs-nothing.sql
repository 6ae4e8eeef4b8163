-- expect: (none)
-- info: (none)
EXPLAIN UPDATE users SET seen = true;
