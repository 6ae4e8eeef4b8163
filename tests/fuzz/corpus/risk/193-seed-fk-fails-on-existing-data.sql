-- expect: add-fk-without-not-valid
-- The seeds' 'FKs that fail on existing data'.
ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_workflow_fk
  FOREIGN KEY (workflow_id) REFERENCES workflows (id) ON DELETE CASCADE;
