-- expect: (none)
-- pgstep:allow drop-column reason: unused since release 42, backed up in s3://backups/users_legacy
ALTER TABLE users DROP COLUMN legacy_flag;
