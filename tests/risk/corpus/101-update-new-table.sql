-- expect: (none)
CREATE TABLE flags (id int, on_ boolean);
INSERT INTO flags VALUES (1, false);
UPDATE flags SET on_ = true;
