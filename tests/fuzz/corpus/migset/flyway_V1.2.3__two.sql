3CREATE TABLE e (id int);
