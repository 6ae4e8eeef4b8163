7archive/901_api_keys_rename_hotfix.sql
-- pgstep:note RETIRED, never applied: the first hotfix for the key_type mismatch. It renamed api_keys.type to key_type but kept the old CHECK (only 'standard' and 'service'), so new 'user' and 'admin' keys were rejected and logins failed; 011 replaced it.
-- migrate:up
ALTER TABLE api_keys RENAME COLUMN type TO key_type;

-- migrate:down
ALTER TABLE api_keys RENAME COLUMN key_type TO type;
