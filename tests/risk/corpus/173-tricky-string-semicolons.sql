-- expect: (none)
SELECT 'a;b; DROP TABLE users; -- not a comment';
SELECT E'it\'s; DELETE FROM sessions';
