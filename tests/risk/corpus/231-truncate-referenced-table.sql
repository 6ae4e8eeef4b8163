-- expect: truncate-referenced-table, truncate-table
-- info: fk-locks-referenced-table, missing-statement-timeout
-- users is referenced by the foreign key added on line 4: emptying it alone
-- fails (0A000); naming both tables in one TRUNCATE does not.
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
TRUNCATE users;
TRUNCATE users, orders;
