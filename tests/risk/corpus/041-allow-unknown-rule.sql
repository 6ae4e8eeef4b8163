-- expect: drop-column, problem
-- pgstep:allow ban-drop-column reason: squawk's name is not ours
ALTER TABLE users DROP COLUMN legacy_flag;
