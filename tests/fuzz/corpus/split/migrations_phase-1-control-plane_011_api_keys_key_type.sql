-- pgstep:note Renames api_keys.type to key_type and replaces its allowed values ('standard', 'service') with the new key classes (user, admin, agent, service, gateway); existing 'standard' keys become 'user'. RISKY: this rename broke authentication in production when application code still read `type`, so deploy the code that reads key_type first.
-- pgstep:requires 002
-- pgstep:lock-timeout 5s
-- migrate:up
ALTER TABLE api_keys DROP CONSTRAINT api_keys_type_check;

-- rename-column: every running query that names api_keys.type fails from here on.
ALTER TABLE api_keys RENAME COLUMN type TO key_type;

UPDATE api_keys SET key_type = 'user' WHERE key_type = 'standard';

ALTER TABLE api_keys ALTER COLUMN key_type SET DEFAULT 'user';

-- Validated at once: scans api_keys under ACCESS EXCLUSIVE.
ALTER TABLE api_keys
    ADD CONSTRAINT api_keys_key_type_check
    CHECK (key_type IN ('user', 'admin', 'agent', 'service', 'gateway'));

-- migrate:down
ALTER TABLE api_keys DROP CONSTRAINT api_keys_key_type_check;
-- Keys that existed before the up come back exactly ('user' -> 'standard');
-- admin, agent and gateway keys created since have no old equivalent and become 'standard'.
UPDATE api_keys SET key_type = 'standard' WHERE key_type <> 'service';
ALTER TABLE api_keys ALTER COLUMN key_type SET DEFAULT 'standard';
ALTER TABLE api_keys RENAME COLUMN key_type TO type;
ALTER TABLE api_keys
    ADD CONSTRAINT api_keys_type_check CHECK (type IN ('standard', 'service'));
