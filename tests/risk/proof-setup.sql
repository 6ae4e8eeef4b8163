-- proof-setup.sql: the world the rule corpus (tests/risk/corpus) runs in, for
-- the lock proof (tests/integration/lock_proof.sh, tests/integration/lock_proof.c).
--
-- Every table, index, type, sequence, view and function a corpus file names
-- exists here, with rows, so rewrites and scans are real. Each object has
-- what the corpus shows of it and no more: no foreign keys, serial columns,
-- triggers or dependants that the SQL of its files does not mention, since
-- those would make the server lock relations that no text names. Where a
-- file's point needs such a thing (a domain used by a table, a materialized
-- view's query), the lock it brings is declared below with "@offline".
--
-- Before the tests run, lock_proof.sh creates the roles app_rw and reporting
-- and the tablespace archive_disk (cluster-wide objects). This part, up to
-- the first "-- @" line, builds the fixture database; every corpus file
-- runs in its own copy of it.
--
-- Directives (read by lock_proof.c):
--   -- @before FILE                 the SQL lines after it (up to the next
--                                   directive) run in FILE's copy first
--   -- @fails FILE:LINE SQLSTATE reason
--                                   the statement must fail with SQLSTATE;
--                                   its locks cannot be observed
--   -- @offline FILE:LINE RELATION MODE reason
--                                   the server takes this lock and the SQL
--                                   text cannot name the relation

CREATE EXTENSION btree_gist;
CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;

CREATE SCHEMA app;
CREATE SCHEMA billing;
CREATE SCHEMA legacy;
CREATE SCHEMA tenant_acme;

CREATE FUNCTION app.make_code() RETURNS text LANGUAGE sql VOLATILE
	AS $$ SELECT md5(random()::text) $$;
CREATE FUNCTION app.current_tenant() RETURNS bigint LANGUAGE sql STABLE
	AS $$ SELECT 1::bigint $$;
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql
	AS $$ BEGIN RETURN NEW; END $$;

CREATE TYPE order_status AS ENUM ('pending', 'paid', 'canceled', 'shipped', 'deleted');
CREATE DOMAIN email_address AS text;

-- users: name is varchar(100), so 046's varchar(200) is the widening its
-- name says. No bio, x or created_at: most files add them.
CREATE TABLE users (
	id bigint PRIMARY KEY,
	email text,
	name varchar(100),
	phone text NOT NULL,
	legacy_flag boolean,
	legacy_a text,
	legacy_b text,
	deleted_at timestamptz,
	active boolean,
	flags int,
	seen boolean,
	c int
);
INSERT INTO users
SELECT g, 'user' || g || '@example.com', 'user ' || g, '+1 555 ' || g, false, 'a', 'b',
       NULL, true, 0, false, 0
  FROM generate_series(1, 2000) g;

-- orders.id owns orders_id_seq (155-157, 203 reset it).
CREATE TABLE orders (
	id bigserial PRIMARY KEY,
	user_id bigint NOT NULL,
	quantity int NOT NULL,
	unit_cents int NOT NULL,
	status order_status NOT NULL DEFAULT 'pending',
	refunded_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO orders (user_id, quantity, unit_cents, status, refunded_at)
SELECT g % 2000 + 1, 1 + g % 5, 100 * g,
       (ARRAY['pending', 'paid', 'shipped'])[1 + g % 3]::order_status,
       CASE WHEN g % 10 = 0 THEN now() END
  FROM generate_series(1, 2000) g;

-- events: a plain table; the partition files make it partitioned (@before).
CREATE TABLE events (
	id int NOT NULL,
	at timestamptz NOT NULL,
	kind text,
	CONSTRAINT events_pkey PRIMARY KEY (id)
);
INSERT INTO events SELECT g, '2025-01-01'::timestamptz + g * interval '1 hour', 'k'
  FROM generate_series(1, 2000) g;

CREATE TABLE measurements (id bigint, recorded_at timestamptz NOT NULL, v float8)
	PARTITION BY RANGE (recorded_at);
CREATE TABLE measurements_2025 PARTITION OF measurements
	FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO measurements SELECT g, '2025-01-01'::timestamptz + g * interval '1 minute', g
  FROM generate_series(1, 2000) g;

CREATE TABLE accounts (id bigint PRIMARY KEY, name text);
INSERT INTO accounts SELECT g, 'account ' || g FROM generate_series(1, 500) g;
-- 189 copies accounts after adding plan to it.
CREATE TABLE accounts_archive (id bigint, name text, plan text);
CREATE TABLE customers (id bigint PRIMARY KEY, name text);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 500) g;
CREATE TABLE api_keys (id bigint PRIMARY KEY, key text NOT NULL, type text NOT NULL);
INSERT INTO api_keys SELECT g, md5(g::text), 'live' FROM generate_series(1, 500) g;
CREATE TABLE payments (id bigint PRIMARY KEY, amount bigint NOT NULL);
INSERT INTO payments SELECT g, g * 100 FROM generate_series(1, 500) g;
CREATE TABLE legacy_events (id bigint NOT NULL, payload text);
INSERT INTO legacy_events SELECT g, 'p' FROM generate_series(1, 500) g;
CREATE TABLE bookings (id bigint PRIMARY KEY, room_id int NOT NULL, during tstzrange NOT NULL);
INSERT INTO bookings
SELECT g, g % 10, tstzrange('2025-01-01'::timestamptz + g * interval '1 day',
                            '2025-01-01'::timestamptz + (g + 1) * interval '1 day')
  FROM generate_series(1, 500) g;
CREATE TABLE sessions (id bigint PRIMARY KEY, user_id bigint, expires_at timestamptz NOT NULL);
INSERT INTO sessions SELECT g, g, now() - g * interval '1 day' FROM generate_series(1, 500) g;
CREATE TABLE documents (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, body text);
INSERT INTO documents SELECT g, g % 7, 'doc' FROM generate_series(1, 500) g;
CREATE TABLE cache_entries (key text PRIMARY KEY, value text);
INSERT INTO cache_entries SELECT 'k' || g, 'v' FROM generate_series(1, 500) g;
CREATE TABLE cache_a (key text, value text);
INSERT INTO cache_a SELECT 'k' || g, 'v' FROM generate_series(1, 500) g;
CREATE TABLE blockchain_transactions (id bigint PRIMARY KEY, status text NOT NULL);
INSERT INTO blockchain_transactions
SELECT g, (ARRAY['pending', 'confirmed', 'failed'])[1 + g % 3] FROM generate_series(1, 500) g;
CREATE TABLE docs (body text);
INSERT INTO docs SELECT 'doc ' || g FROM generate_series(1, 100) g;
CREATE TABLE "Accounts" ("Email" text);
INSERT INTO "Accounts" SELECT 'a' || g || '@example.com' FROM generate_series(1, 100) g;
CREATE TABLE "Größe" ("straße" text);
INSERT INTO "Größe" SELECT 'Hauptstraße ' || g FROM generate_series(1, 100) g;
CREATE TABLE reports (id bigint PRIMARY KEY, cnt int);
INSERT INTO reports SELECT g, g FROM generate_series(1, 100) g;
CREATE TABLE staging_users (id bigint, email text);
INSERT INTO staging_users SELECT g, 'x' FROM generate_series(1, 100) g;
CREATE TABLE staging_orders (id bigint, total int);
INSERT INTO staging_orders SELECT g, g FROM generate_series(1, 100) g;
CREATE TABLE files (id bigint PRIMARY KEY, path text NOT NULL);
INSERT INTO files SELECT g, '/f/' || g FROM generate_series(1, 500) g;
CREATE TABLE workflows (id bigint PRIMARY KEY);
INSERT INTO workflows SELECT g FROM generate_series(1, 100) g;
CREATE TABLE workflow_runs (id bigint PRIMARY KEY, workflow_id bigint NOT NULL);
INSERT INTO workflow_runs SELECT g, g % 100 + 1 FROM generate_series(1, 500) g;

-- A domain is there to be used: 073 validates every column of its type.
CREATE TABLE contacts (id bigint PRIMARY KEY, email email_address);
INSERT INTO contacts SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 100) g;

-- A materialized view reads something: 143 and 144 run its query.
CREATE MATERIALIZED VIEW daily_totals AS
	SELECT created_at::date AS day, count(*) AS n FROM orders GROUP BY 1;
CREATE UNIQUE INDEX daily_totals_day_idx ON daily_totals (day);

ANALYZE;

-- @before 008-index-drop-plain.sql
CREATE INDEX users_email_idx ON users (email);
-- @before 009-index-drop-concurrently.sql
CREATE INDEX users_email_idx ON users (email);
-- @before 012-index-reindex-concurrently-in-begin.sql
CREATE INDEX users_email_idx ON users (email);
-- @before 018-no-transaction-directive.sql
ALTER TABLE users ADD COLUMN created_at timestamptz;
-- @before 186-tricky-do-dollar-tags.sql
ALTER TABLE users ADD COLUMN created_at timestamptz;
-- @before 107-timeout-statement-zero-with-lock-timeout.sql
ALTER TABLE users ADD COLUMN bio text;
-- @before 109-timeout-reset.sql
ALTER TABLE users ADD COLUMN bio text;
-- @before 147-lock-table.sql
ALTER TABLE users ADD COLUMN x int;

-- The file creates tenants; 028 alters an existing one.
-- @before 028-column-add-immutable-function-default.sql
CREATE TABLE tenants (id bigint PRIMARY KEY, slug text NOT NULL);
INSERT INTO tenants SELECT g, 't' || g FROM generate_series(1, 100) g;

-- The rename's target name must be free.
-- @before 043-table-rename.sql
DROP TABLE accounts;
-- @before 044-table-rename-with-view.sql
DROP TABLE accounts;

-- A NOT VALID check that the file validates or drops.
-- @before 060-check-validate-alone.sql
ALTER TABLE orders ADD CONSTRAINT orders_qty_positive CHECK (quantity > 0) NOT VALID;
-- @before 072-check-drop.sql
ALTER TABLE orders ADD CONSTRAINT orders_qty_positive CHECK (quantity > 0) NOT VALID;
-- @before 071-fk-drop.sql
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);

-- ADD COLUMN ... NOT NULL without a default fails on a table with rows (the
-- finding's point), and so does PRIMARY KEY USING INDEX on the all-NULL
-- column 069 adds. The table is emptied so the statement runs and its locks
-- can be read.
-- @before 033-column-add-required.sql
TRUNCATE users;
-- @before 176-tricky-schema-qualified.sql
TRUNCATE users;
-- @before 195-create-if-not-exists-is-not-new.sql
TRUNCATE users;
-- @before 175-tricky-quoted-case-differs.sql
TRUNCATE orders;
-- @before 069-pk-using-index-nullable-column.sql
TRUNCATE legacy_events;

-- Partitioned events: with only the partitions the file names.
-- @before 020-index-partitioned-parent-known.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
-- @before 140-partition-create-of-existing.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
-- @before 141-partition-create-like-then-attach.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
-- @before 130-partition-detach.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
INSERT INTO events SELECT g, '2023-01-01'::timestamptz + g * interval '1 hour', 'k'
  FROM generate_series(1, 2000) g;
-- @before 131-partition-detach-concurrently.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
-- @before 132-partition-detach-concurrently-in-begin.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
-- @before 138-partition-attach.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2026 (id int NOT NULL, at timestamptz NOT NULL, kind text);
INSERT INTO events_2026 SELECT g, '2026-01-01'::timestamptz + g * interval '1 hour', 'k'
  FROM generate_series(1, 2000) g;
-- @before 139-partition-attach-proven.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2026 (id int NOT NULL, at timestamptz NOT NULL, kind text);
INSERT INTO events_2026 SELECT g, '2026-01-01'::timestamptz + g * interval '1 hour', 'k'
  FROM generate_series(1, 2000) g;
-- @before 200-index-attach-partition.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX events_at_idx ON ONLY events (at);
CREATE INDEX events_2026_at_idx ON events_2026 (at);

-- Storage parameters of a view and a GIN index.
-- @before 210-storage-parameter-lock-per-option.sql
CREATE VIEW user_names AS SELECT id, name FROM users;
CREATE INDEX documents_body_gin ON documents USING gin (to_tsvector('simple', body));

-- A user table whose name starts like a catalog's.
-- @before 213-user-table-named-like-catalog.sql
CREATE TABLE pg_orders (id bigint PRIMARY KEY, total int);
INSERT INTO pg_orders SELECT g, g FROM generate_series(1, 100) g;

-- A composite type, used by no table.
-- @before 219-composite-type-has-no-storage.sql
CREATE TYPE money_pair AS (amount int, note text);
-- @before 220-composite-type-used-by-column.sql
CREATE TYPE money_pair AS (amount int, note text);

-- @before 221-replace-view-locks-view.sql
CREATE VIEW user_names AS SELECT id, name FROM users;

-- @before 222-inherit-locks-parent.sql
CREATE TABLE audit_all (id bigint, at timestamptz);
CREATE TABLE audit_2025 (id bigint, at timestamptz);

-- A default partition that the file attaches (214-216): every later
-- partition change scans or locks it.
-- @before 232-default-partition-scan.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_default (id int NOT NULL, at timestamptz NOT NULL, kind text);
INSERT INTO events_default SELECT g, '2030-01-01'::timestamptz + g * interval '1 hour', 'k'
  FROM generate_series(1, 2000) g;
CREATE TABLE events_2026 (id int NOT NULL, at timestamptz NOT NULL, kind text);
INSERT INTO events_2026 SELECT g, '2026-01-01'::timestamptz + g * interval '1 hour', 'k'
  FROM generate_series(1, 2000) g;
-- @before 233-detach-concurrently-default-partition.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_default (id int NOT NULL, at timestamptz NOT NULL, kind text);
-- @before 234-partition-detach-locks-default.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
INSERT INTO events SELECT g, '2023-01-01'::timestamptz + g * interval '1 hour', 'k'
  FROM generate_series(1, 2000) g;
CREATE TABLE events_default (id int NOT NULL, at timestamptz NOT NULL, kind text);
INSERT INTO events_default SELECT g, '2030-01-01'::timestamptz + g * interval '1 hour', 'k'
  FROM generate_series(1, 2000) g;
-- @before 242-default-partition-proven.sql
DROP TABLE events;
CREATE TABLE events (id int NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_default (id int NOT NULL, at timestamptz NOT NULL, kind text);
INSERT INTO events_default SELECT g, '2030-01-01'::timestamptz + g * interval '1 hour', 'k'
  FROM generate_series(1, 2000) g;
CREATE TABLE events_2026 (id int NOT NULL, at timestamptz NOT NULL, kind text);
INSERT INTO events_2026 SELECT g, '2026-01-01'::timestamptz + g * interval '1 hour', 'k'
  FROM generate_series(1, 2000) g;

-- @fails 080-drop-column-with-view.sql:3 2BP01 the view active_users, created at line 2, depends on users.email
-- @fails 121-do-block-other-language.sql:2 42704 the test server has no plpython3u
-- @fails 223-drop-constraint-index-locks-table.sql:4 2BP01 the index backs constraint customers_name_key: the server locks customers, then refuses
-- @fails 228-transaction-control-do-block.sql:5 2D000 the DO block commits inside the migration's transaction
-- @fails 229-transaction-control-no-transaction.sql:5 2D000 the proof runs every statement in a transaction block; pgstep runs this file without one
-- @fails 230-transaction-control-procedure.sql:10 2D000 the procedure commits inside the migration's transaction
-- @fails 231-truncate-referenced-table.sql:6 0A000 orders references users through the foreign key of line 5
-- @fails 233-detach-concurrently-default-partition.sql:6 55000 events has the default partition attached at line 5
-- @fails 235-alter-type-column-used-by-view.sql:5 0A000 the view user_names, created at line 4, uses users.name
-- @fails 237-drop-with-dependents.sql:6 2BP01 the trigger of line 5 uses the function
-- @fails 243-drop-function-used-by-default.sql:6 2BP01 the default of users.code, added at line 5, calls the function

-- TRUNCATE of a table created in the same transaction keeps its file.
-- @together 090-truncate-new-table.sql:2-3 the table is created and emptied in one transaction, as pgstep runs the file

-- Locks on relations the SQL text does not name. The analyzer works from the
-- text alone; in connected mode the catalog can tell it these.
-- @offline 008-index-drop-plain.sql:2 public.users AccessExclusiveLock DROP INDEX locks the index's table, and the text does not say which table that is
-- @offline 071-fk-drop.sql:2 public.users AccessExclusiveLock dropping a foreign key locks the table it references, which only the catalog knows
-- @offline 073-domain-add-constraint.sql:2 public.contacts ShareLock a new domain constraint is checked on every table with a column of the domain
-- @offline 095-drop-type-cascade.sql:2 public.orders AccessExclusiveLock CASCADE drops the columns of the type, on tables the text does not name
-- @offline 125-function-called-dynamic.sql:7 public.users AccessExclusiveLock the function runs SQL built at run time
-- @offline 143-matview-refresh.sql:2 public.orders AccessShareLock the materialized view's query reads tables its definition names
-- @offline 144-matview-refresh-concurrently.sql:2 public.orders AccessShareLock the materialized view's query reads tables its definition names
-- @offline 200-index-attach-partition.sql:2 public.events AccessShareLock attaching an index locks the tables of both indexes
-- @offline 200-index-attach-partition.sql:2 public.events_2026 AccessShareLock attaching an index locks the tables of both indexes
-- @offline 203-setval-expression-sequence.sql:2 public.orders_id_seq RowExclusiveLock the sequence is computed by pg_get_serial_sequence at run time
-- @together 209-truncate-in-place-or-new-file.sql:5-6 the second TRUNCATE empties, in place, the file the first one made in the same transaction
-- @offline 220-composite-type-used-by-column.sql:3 public.money_pair AccessShareLock a column of a composite type locks the type's relation, and the text does not say money_pair is composite
