-- expect: revoke-privileges
REVOKE ALL ON ALL TABLES IN SCHEMA app FROM app_rw;
