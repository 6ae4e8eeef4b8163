0CREATE TABLE retired (id int);
