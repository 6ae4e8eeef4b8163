-- pgstep:note Inserts the reference rows every tenant needs: the five built-in roles with their permissions and the default audit settings, so these tables are never empty. The demo inserts tenants, workspaces, users, runs and files on top of them.
-- pgstep:requires 002
-- migrate:up
INSERT INTO roles (name, description, is_builtin) VALUES
    ('WorkspaceAdmin',   'Manages members, settings and API keys of a workspace', true),
    ('Operator',         'Starts, retries and cancels runs',                       true),
    ('Approver',         'Decides human approval requests',                        true),
    ('Auditor',          'Reads audit events and usage, changes nothing',          true),
    ('IntegrationAdmin', 'Installs connectors and rotates provider keys',          true);

INSERT INTO role_permissions (role_name, permission) VALUES
    ('WorkspaceAdmin',   'workspace:*'),
    ('WorkspaceAdmin',   'member:*'),
    ('WorkspaceAdmin',   'api_key:*'),
    ('Operator',         'run:create'),
    ('Operator',         'run:cancel'),
    ('Operator',         'workflow:read'),
    ('Approver',         'approval:decide'),
    ('Approver',         'run:read'),
    ('Auditor',          'audit:read'),
    ('Auditor',          'usage:read'),
    ('IntegrationAdmin', 'connector:*'),
    ('IntegrationAdmin', 'provider_key:rotate');

INSERT INTO audit_config (singleton, retention_days, export_enabled)
VALUES (true, 365, false);

-- migrate:down
DELETE FROM audit_config WHERE singleton;
-- Deleting a role also removes its permissions and memberships (ON DELETE CASCADE).
DELETE FROM roles
 WHERE name IN ('WorkspaceAdmin', 'Operator', 'Approver', 'Auditor', 'IntegrationAdmin');
