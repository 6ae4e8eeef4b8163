-- expect: explicit-lock-table
LOCK TABLE ONLY orders IN SHARE MODE NOWAIT;
