-- expect: (none)
ALTER TABLE users -- ; DROP TABLE users;
  ADD COLUMN bio /* ; TRUNCATE x; */ text;
