-- expect: (none)
/* pgstep:allow rename-column reason: only the reporting job reads it, deployed first */
ALTER TABLE reports RENAME COLUMN cnt TO total;
