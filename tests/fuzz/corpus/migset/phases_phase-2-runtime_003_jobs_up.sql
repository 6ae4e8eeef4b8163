5CREATE TABLE jobs (id int);
