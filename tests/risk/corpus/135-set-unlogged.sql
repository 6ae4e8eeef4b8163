-- expect: set-logged-unlogged
ALTER TABLE events SET UNLOGGED;
