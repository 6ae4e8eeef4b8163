-- expect: rls-enabled-without-policy
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
