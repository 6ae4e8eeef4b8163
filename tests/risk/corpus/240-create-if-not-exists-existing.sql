-- expect: (none)
-- info: fk-locks-referenced-table, missing-statement-timeout
-- The second CREATE meets the table the first made: it does nothing and
-- locks nothing (not even users, which its foreign key names).
CREATE TABLE audit_events (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
CREATE TABLE IF NOT EXISTS audit_events (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
CREATE INDEX audit_events_user_idx ON audit_events (user_id);
