CREATE TABLE jobs (id int);
