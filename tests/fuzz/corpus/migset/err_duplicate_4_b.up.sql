1CREATE TABLE b (id int);
