-- expect: (none)
UPDATE users SET active = true WHERE id = 42;
