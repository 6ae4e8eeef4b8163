0CREATE TABLE ok (id int);
