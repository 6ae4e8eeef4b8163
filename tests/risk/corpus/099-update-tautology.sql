-- expect: update-without-where
UPDATE users SET active = true WHERE 1 = 1;
