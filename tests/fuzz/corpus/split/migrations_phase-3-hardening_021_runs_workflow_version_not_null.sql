-- pgstep:note Makes runs.workflow_version_id mandatory: every run must say which published version it executed. RISKY: SET NOT NULL scans the whole runs table under ACCESS EXCLUSIVE (nothing can even read runs meanwhile) and fails if any run has no version.
-- pgstep:requires 004
-- migrate:up
ALTER TABLE runs ALTER COLUMN workflow_version_id SET NOT NULL;

-- migrate:down
ALTER TABLE runs ALTER COLUMN workflow_version_id DROP NOT NULL;
