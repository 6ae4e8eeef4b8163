-- expect: (none)
-- info: (none)
-- EXPLAIN without ANALYZE runs nothing, but parsing and planning take the
-- statement's locks: it waits behind an ACCESS EXCLUSIVE like the DELETE would.
EXPLAIN DELETE FROM sessions;
EXPLAIN SELECT * FROM orders o JOIN users u ON u.id = o.user_id FOR UPDATE OF o;
