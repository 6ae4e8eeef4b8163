3CREATE TABLE c (id int);
