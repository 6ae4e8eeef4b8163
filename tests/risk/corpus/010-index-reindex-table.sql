-- expect: reindex-non-concurrent
REINDEX TABLE users;
