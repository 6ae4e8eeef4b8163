-- expect: rename-schema
ALTER SCHEMA billing RENAME TO invoicing;
