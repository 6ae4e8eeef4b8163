-- expect: (none)
CREATE TABLE notes (id int, body text);
ALTER TABLE notes ALTER COLUMN body SET NOT NULL;
