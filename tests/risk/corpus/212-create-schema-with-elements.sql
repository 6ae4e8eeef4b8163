-- expect: (none)
-- info: (none)
CREATE SCHEMA shop
	CREATE TABLE parent (id bigint PRIMARY KEY)
	CREATE TABLE child (id bigint, parent_id bigint REFERENCES parent);
CREATE INDEX child_parent_idx ON shop.child (parent_id);
ALTER TABLE shop.child ADD COLUMN note text NOT NULL;
