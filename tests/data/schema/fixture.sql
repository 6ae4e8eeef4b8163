-- Every object kind the schema snapshot models, created in the current
-- schema (search_path set by the caller), names unqualified so the same file
-- builds two schema tenants. tests/integration/schema.sh.
CREATE TYPE status AS ENUM ('new', 'running', 'done');
CREATE DOMAIN positive_int AS integer NOT NULL DEFAULT 1 CONSTRAINT positive CHECK (VALUE > 0);
CREATE TYPE pair AS (a integer, b text COLLATE "C");
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE SEQUENCE counter START 10 INCREMENT 5 CACHE 2;
CREATE TABLE workflows (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text COLLATE "C" NOT NULL UNIQUE,
	weight positive_int,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE runs (
	id bigserial PRIMARY KEY,
	workflow_id bigint NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
	workflow_version_id bigint,
	state status NOT NULL DEFAULT 'new',
	span floatrange,
	doubled bigint GENERATED ALWAYS AS (workflow_id * 2) STORED,
	note text,
	CONSTRAINT runs_version_unique UNIQUE (workflow_id, workflow_version_id) DEFERRABLE INITIALLY DEFERRED
);
ALTER TABLE runs ADD CONSTRAINT note_short CHECK (length(note) < 100) NOT VALID;
ALTER TABLE runs ADD CONSTRAINT no_overlap EXCLUDE USING gist (span WITH &&);
ALTER TABLE runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE runs FORCE ROW LEVEL SECURITY;
CREATE INDEX runs_state_idx ON runs (state) WHERE state <> 'done';
CREATE UNLOGGED TABLE scratch (k text, v text);
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
-- what a partitioned table gives its partitions: the primary key, an index,
-- a foreign key and a row trigger, cloned
ALTER TABLE events ADD PRIMARY KEY (id, at);
CREATE INDEX events_at_idx ON events (at);
ALTER TABLE events ADD COLUMN workflow_id bigint;
CREATE TABLE base_item (id int);
CREATE TABLE special_item (extra text) INHERITS (base_item);
CREATE VIEW active_runs AS SELECT id, workflow_id FROM runs WHERE state <> 'done';
CREATE MATERIALIZED VIEW run_counts AS SELECT workflow_id, count(*) AS n FROM runs GROUP BY workflow_id;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.note := coalesce(NEW.note, ''); RETURN NEW; END$$;
CREATE FUNCTION add_one(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x + 1;
CREATE PROCEDURE reset_counter() LANGUAGE sql AS $$SELECT 1$$;
CREATE AGGREGATE sum_plus(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0');
CREATE TRIGGER runs_touch BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE events ADD CONSTRAINT events_workflow_fkey FOREIGN KEY (workflow_id) REFERENCES workflows (id);
CREATE FUNCTION events_touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER events_touch AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_touch();
CREATE RULE scratch_no_delete AS ON DELETE TO scratch DO INSTEAD NOTHING;
CREATE POLICY runs_visible ON runs FOR SELECT TO PUBLIC USING (state <> 'done');
COMMENT ON TABLE runs IS 'one run of a workflow';
COMMENT ON COLUMN runs.note IS 'free text';
