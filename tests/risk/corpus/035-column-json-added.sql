-- expect: json-column
ALTER TABLE events ADD COLUMN payload json;
