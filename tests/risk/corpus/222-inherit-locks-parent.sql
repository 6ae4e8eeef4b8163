-- expect: (none)
-- info: missing-statement-timeout, multiple-alter-same-table
ALTER TABLE audit_2025 INHERIT audit_all;
ALTER TABLE audit_2025 NO INHERIT audit_all;
