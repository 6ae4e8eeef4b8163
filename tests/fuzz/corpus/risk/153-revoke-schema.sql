-- expect: revoke-privileges
REVOKE USAGE ON SCHEMA billing FROM reporting;
