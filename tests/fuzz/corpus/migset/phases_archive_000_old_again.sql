0CREATE TABLE old2 (id int);
