-- expect: rls-enabled-without-policy
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
