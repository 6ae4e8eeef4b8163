-- expect: rename-column
ALTER TABLE api_keys RENAME COLUMN type TO key_type;
