-- Demo rows once the control plane phase is applied (after 012): files with
-- lineage, role agents and billing rows whose free-text statuses the enum
-- conversions of 013 and 014 will map (including values they do not know).
INSERT INTO api_keys (workspace_id, name, key_type, key_prefix, key_hash)
SELECT (SELECT id FROM workspaces ORDER BY random() LIMIT 1), 'key2 ' || g, (ARRAY['user', 'admin', 'agent', 'service', 'gateway'])[1 + g % 5],
       'pk2_' || g, sha256((random()::text || g)::bytea)
  FROM generate_series(1, 20) g;
INSERT INTO project_files (workspace_id, ui_name, file_path, file_type, mime_type, size_bytes, processing_status, session_id)
SELECT (SELECT id FROM workspaces ORDER BY id OFFSET g % 4 LIMIT 1), 'file ' || g, '/p/' || g || '.pdf', 'pdf', 'application/pdf', g * 100,
       (ARRAY['pending', 'processing', 'done', 'error'])[1 + g % 4], CASE WHEN g % 2 = 0 THEN 'sess-' || g END
  FROM generate_series(1, 5000) g;
UPDATE project_files c SET parent_file_uuid = p.file_uuid, root_file_uuid = p.file_uuid, lineage_depth = 1
  FROM (SELECT file_uuid, row_number() OVER (ORDER BY file_uuid) AS rn FROM project_files) p,
       (SELECT file_uuid, row_number() OVER (ORDER BY file_uuid) AS rn FROM project_files) cc
 WHERE cc.file_uuid = c.file_uuid AND p.rn = cc.rn - 1 AND cc.rn % 10 = 0;
INSERT INTO role_agents (workspace_id, name, role_template, assigned_to_did, status, trust_score)
SELECT (SELECT id FROM workspaces ORDER BY id OFFSET g % 4 LIMIT 1), 'agent-' || g || '-' || substr(md5(random()::text), 1, 5),
       (ARRAY['reviewer', 'operator', 'auditor'])[1 + g % 3], 'did:example:' || g,
       (ARRAY['active', 'inactive', 'suspended', 'retired', 'paused', 'ACTIVE'])[1 + g % 6],
       CASE WHEN g % 4 <> 0 THEN (g % 100) / 100.0 END
  FROM generate_series(1, 300) g;
INSERT INTO role_trust_thresholds (workspace_id, role_template, min_trust_score)
SELECT w.id, t, 0.5 FROM workspaces w, unnest(ARRAY['reviewer', 'operator', 'auditor']) t ON CONFLICT DO NOTHING;
INSERT INTO billing_transactions (workspace_id, period_start, amount_cents, external_ref, status)
SELECT (SELECT id FROM workspaces ORDER BY id OFFSET g % 4 LIMIT 1), date '2025-01-01' + (g % 12) * 30, g * 10, 'tx-' || g,
       (ARRAY['pending', 'confirmed', 'failed', 'settled'])[1 + g % 4]
  FROM generate_series(1, 2000) g;
WITH r AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn, count(*) OVER () AS n FROM runs)
INSERT INTO tool_calls (run_id, tool_name, provider, tokens_in, tokens_out)
SELECT r.id, 'tool', 'openai', 10, 20 FROM generate_series(1, 10000) g JOIN r ON r.rn = g % r.n;
