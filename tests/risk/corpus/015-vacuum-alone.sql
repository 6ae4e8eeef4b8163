-- expect: (none)
VACUUM (ANALYZE) users;
