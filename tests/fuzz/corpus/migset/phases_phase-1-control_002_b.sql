0CREATE TABLE b (id int);
