CREATE TABLE zz (id int);
