-- expect: vacuum-full-or-cluster
VACUUM FULL events;
