0CREATE TABLE z (id int);
