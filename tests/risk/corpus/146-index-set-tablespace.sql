-- expect: set-tablespace
ALTER INDEX events_pkey SET TABLESPACE archive_disk;
