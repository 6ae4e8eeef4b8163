-- expect: (none)
-- info: (none)
CREATE TABLE tenants (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug text NOT NULL UNIQUE,
  region text NOT NULL CHECK (region IN ('eu', 'us')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE tenant_users (
  tenant_id bigint NOT NULL REFERENCES tenants (id),
  user_id bigint NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);
COMMENT ON TABLE tenants IS 'one row per customer';
