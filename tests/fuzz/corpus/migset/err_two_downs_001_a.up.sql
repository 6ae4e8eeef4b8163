1CREATE TABLE a (id int);
