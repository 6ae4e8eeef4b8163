-- expect: set-tablespace
ALTER TABLE events SET TABLESPACE archive_disk;
