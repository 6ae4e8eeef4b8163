-- Demo rows once the foundation phase is applied (after 007): tenants,
-- workspaces, users, workflows with runs and tool calls, metering.
INSERT INTO tenants (slug, name, region) VALUES (current_schema() || '-' || (SELECT count(*) FROM tenants), 'Tenant ' || current_schema(), 'eu');
INSERT INTO workspaces (tenant_id, slug, name, data_persistence_mode)
SELECT t.id, 'ws' || g || '-' || substr(md5(random()::text), 1, 6), 'Workspace ' || g, CASE WHEN g % 2 = 0 THEN 'full' ELSE 'metadata_only' END
  FROM (SELECT id FROM tenants ORDER BY created_at DESC LIMIT 1) t, generate_series(1, 4) g;
INSERT INTO environments (workspace_id, name)
SELECT w.id, e FROM workspaces w, unnest(ARRAY['dev', 'test', 'prod']) e
 WHERE NOT EXISTS (SELECT 1 FROM environments x WHERE x.workspace_id = w.id);
INSERT INTO workspace_config (workspace_id) SELECT id FROM workspaces ON CONFLICT DO NOTHING;
INSERT INTO users (tenant_id, email, display_name)
SELECT t.id, 'user' || g || '.' || substr(md5(random()::text), 1, 6) || '@example.com', 'User ' || g
  FROM (SELECT id FROM tenants ORDER BY created_at DESC LIMIT 1) t, generate_series(1, 50) g;
INSERT INTO memberships (workspace_id, user_id, role_name)
SELECT w.id, u.id, (ARRAY['WorkspaceAdmin', 'Operator', 'Approver', 'Auditor'])[1 + abs(hashtext(u.email || w.slug)) % 4]
  FROM workspaces w CROSS JOIN users u WHERE abs(hashtext(u.email || w.slug)) % 3 = 0
ON CONFLICT DO NOTHING;
INSERT INTO api_keys (workspace_id, user_id, name, type, key_prefix, key_hash)
SELECT (SELECT id FROM workspaces ORDER BY random() LIMIT 1), NULL, 'key ' || g, CASE WHEN g % 3 = 0 THEN 'service' ELSE 'standard' END,
       'pk_' || g, sha256((random()::text || g)::bytea)
  FROM generate_series(1, 40) g;
INSERT INTO sessions (user_id, expires_at, client_ip)
SELECT id, now() + interval '1 day', '10.0.0.1' FROM users;
INSERT INTO workflows (workspace_id, name, risk_tier)
SELECT w.id, 'wf-' || g, (ARRAY['low', 'medium', 'high'])[1 + g % 3] FROM workspaces w, generate_series(1, 5) g
ON CONFLICT DO NOTHING;
INSERT INTO workflow_versions (workflow_id, version, definition, definition_digest)
SELECT wf.id, v, '{"steps": []}'::jsonb, sha256(v::bytea) FROM workflows wf, unnest(ARRAY['1.0.0', '1.1.0']) v
ON CONFLICT DO NOTHING;
INSERT INTO policies (workspace_id, name, source, status)
SELECT w.id, 'pol-' || g, 'package main', 'active' FROM workspaces w, generate_series(1, 2) g ON CONFLICT DO NOTHING;
INSERT INTO policy_bindings (workflow_id, policy_id)
SELECT wf.id, p.id FROM workflows wf JOIN policies p ON p.workspace_id = wf.workspace_id ON CONFLICT DO NOTHING;
WITH v AS (SELECT wv.id AS vid, wf.workspace_id, row_number() OVER (ORDER BY wv.id) - 1 AS rn, count(*) OVER () AS n
             FROM workflow_versions wv JOIN workflows wf ON wf.id = wv.workflow_id)
INSERT INTO runs (workspace_id, environment_id, workflow_version_id, status, idempotency_key, started_at, finished_at)
SELECT v.workspace_id, (SELECT id FROM environments e WHERE e.workspace_id = v.workspace_id AND e.name = 'prod'),
       v.vid, (ARRAY['queued', 'running', 'succeeded', 'failed'])[1 + g % 4], 'req-' || md5(random()::text), now() - interval '1 hour', now()
  FROM generate_series(1, 4000) g JOIN v ON v.rn = g % v.n;
INSERT INTO steps (run_id, seq, name, status)
SELECT r.id, s, 'step ' || s, 'succeeded' FROM runs r, generate_series(0, 2) s
 WHERE NOT EXISTS (SELECT 1 FROM steps x WHERE x.run_id = r.id);
INSERT INTO approval_requests (run_id, step_id)
SELECT s.run_id, s.id FROM steps s WHERE s.seq = 1 LIMIT 300;
INSERT INTO approval_decisions (approval_request_id, decided_by, decision)
SELECT a.id, (SELECT id FROM users LIMIT 1), 'approve' FROM approval_requests a
 WHERE NOT EXISTS (SELECT 1 FROM approval_decisions d WHERE d.approval_request_id = a.id) LIMIT 150;
INSERT INTO provider_keys (workspace_id, provider, label, encrypted_key, kms_key_id)
SELECT w.id, p, 'default', '\x00'::bytea, 'kms-1' FROM workspaces w, unnest(ARRAY['openai', 'anthropic']) p ON CONFLICT DO NOTHING;
INSERT INTO connector_installations (workspace_id, connector_type, display_name)
SELECT w.id, c, initcap(c) FROM workspaces w, unnest(ARRAY['slack', 'jira', 'gdrive']) c;
INSERT INTO secret_rotation_log (provider_key_id, reason) SELECT id, 'initial' FROM provider_keys;
WITH r AS (SELECT id, workspace_id, row_number() OVER (ORDER BY id) - 1 AS rn, count(*) OVER () AS n FROM runs),
     c AS (SELECT id, workspace_id, row_number() OVER (PARTITION BY workspace_id ORDER BY id) AS cn FROM connector_installations)
INSERT INTO tool_calls (run_id, tool_name, provider, model, connector_installation_id, tokens_in, tokens_out, cost_usd, duration_ms)
SELECT r.id, 'tool-' || g % 7, (ARRAY['openai', 'anthropic', 'connector'])[1 + g % 3], 'model-x',
       CASE WHEN g % 3 = 2 THEN (SELECT c.id FROM c WHERE c.workspace_id = r.workspace_id AND c.cn = 1 + g % 3) END,
       g % 1000, g % 500, (g % 100) / 1000.0, g % 3000
  FROM generate_series(1, 12000) g JOIN r ON r.rn = g % r.n;
INSERT INTO audit_events (workspace_id, actor_type, action, source, event_hash)
SELECT (SELECT id FROM workspaces LIMIT 1), 'user', 'run.started', 'api', sha256(g::text::bytea) FROM generate_series(1, 6000) g;
INSERT INTO metering_events (workspace_id, meter, quantity, unit_cost_usd)
SELECT w.id, (ARRAY['llm_tokens', 'connector_calls', 'api_calls', 'storage_bytes'])[1 + g % 4], g % 100000, 0.000002
  FROM generate_series(1, 12000) g, LATERAL (SELECT id FROM workspaces ORDER BY id OFFSET g % 4 LIMIT 1) w;
INSERT INTO usage_summary (workspace_id, granularity, period_start, meter, quantity)
SELECT workspace_id, 'day', date_trunc('day', occurred_at), meter, sum(quantity) FROM metering_events GROUP BY 1, 2, 3, 4
ON CONFLICT DO NOTHING;
