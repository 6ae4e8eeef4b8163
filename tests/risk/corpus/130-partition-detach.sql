-- expect: detach-partition-blocking
ALTER TABLE events DETACH PARTITION events_2023;
