-- expect: (none)
CREATE POLICY documents_tenant ON documents USING (tenant_id = current_setting('app.tenant')::bigint);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
