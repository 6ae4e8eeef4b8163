-- expect: (none)
REINDEX TABLE CONCURRENTLY users;
