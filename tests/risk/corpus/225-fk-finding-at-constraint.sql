-- expect: (none)
-- info: fk-missing-index
CREATE TABLE authors (id bigint PRIMARY KEY);
CREATE TABLE posts (
	id bigint PRIMARY KEY,
	title text,
	author_id bigint
		REFERENCES authors (id)
);
