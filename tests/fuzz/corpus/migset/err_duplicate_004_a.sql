0CREATE TABLE a (id int);
