-- expect: set-not-null-scan
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
