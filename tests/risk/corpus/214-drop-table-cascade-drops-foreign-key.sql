-- expect: drop-with-dependents
-- info: (none)
CREATE TABLE authors (id bigint PRIMARY KEY);
CREATE TABLE books (id bigint PRIMARY KEY, author_id bigint REFERENCES authors);
DROP TABLE authors CASCADE;
DROP TABLE books;
