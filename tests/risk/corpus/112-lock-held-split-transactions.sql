-- expect: (none)
BEGIN;
ALTER TABLE users ADD COLUMN display_name text;
COMMIT;
BEGIN;
UPDATE users SET display_name = name WHERE id BETWEEN 1 AND 10000;
COMMIT;
