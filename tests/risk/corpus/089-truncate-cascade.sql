-- expect: truncate-table, truncate-cascade
TRUNCATE users CASCADE;
