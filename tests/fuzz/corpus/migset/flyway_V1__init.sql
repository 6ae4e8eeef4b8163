3CREATE TABLE a (id int);
