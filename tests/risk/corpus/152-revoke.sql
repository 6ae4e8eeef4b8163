-- expect: revoke-privileges
REVOKE UPDATE ON accounts FROM app_rw;
