-- expect: rename-table
ALTER TABLE customers RENAME TO accounts;
