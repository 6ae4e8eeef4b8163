-- expect: vacuum-full-or-cluster
CLUSTER events USING events_pkey;
