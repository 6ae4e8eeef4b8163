-- expect: (none)
/* outer /* DROP TABLE users; */ still a comment: ALTER TABLE users DROP COLUMN email; */
SELECT 1; -- TRUNCATE users;
/* VACUUM FULL users; */
