0-- a leading comment

CREATE TABLE a (id int);
CREATE TABEL b (id int);
