0CREATE TABLE c (id int);
