-- pgstep:note Creates trust_histories, one row each time a role agent's trust score is recomputed, seeds it with each agent's current score, and adds the minimum level of assurance to role_trust_thresholds.
-- pgstep:requires 009
-- migrate:up
CREATE TABLE trust_histories (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role_agent_id  uuid NOT NULL REFERENCES role_agents (id) ON DELETE CASCADE,
    trust_score    double precision NOT NULL CHECK (trust_score BETWEEN 0 AND 1),
    computed_at    timestamptz NOT NULL DEFAULT now(),
    metadata       jsonb
);

CREATE INDEX trust_histories_role_agent_idx ON trust_histories (role_agent_id, computed_at DESC);
CREATE INDEX trust_histories_time_idx ON trust_histories (computed_at);

INSERT INTO trust_histories (role_agent_id, trust_score, computed_at, metadata)
SELECT id, trust_score, created_at, '{"source": "migration:019"}'::jsonb
  FROM role_agents
 WHERE trust_score IS NOT NULL;

ALTER TABLE role_trust_thresholds ADD COLUMN min_loa_level integer;

-- migrate:down
ALTER TABLE role_trust_thresholds DROP COLUMN min_loa_level;
DROP TABLE trust_histories;
