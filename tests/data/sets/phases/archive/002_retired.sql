CREATE TABLE retired (id int);
