#!/bin/sh
# pgstep adopt: each tool's history table written as that tool writes it
# (golang-migrate, dbmate, Flyway, Prisma, sqitch, goose), then adopt,
# status, verify, a second adopt (a no-op) and up of what is left; the
# tool's table is compared before and after. Mismatches (a recorded version
# with no file, an edited file, a dirty or failed row, another order) each
# give their line, exit 3 and change nothing.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
. "$TOP_SRCDIR/tests/lib/scenario.sh"
pg_start

# dump TABLE: the table's rows as the server prints them, in a fixed order.
dump() {
	q "$DB" "SELECT string_agg(row_to_json(t)::text, E'\\n' ORDER BY row_to_json(t)::text) FROM $1 t"
}

# sql FILE...: run the files (as the other tool did) in the scenario's database.
sql() {
	for f in "$@"; do
		"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$P/migrations/$f" >/dev/null || return 1
	done
}

no_state() {
	q "$DB" "SELECT to_regclass('pgstep.migrations') IS NULL"
}

nevents() {
	q "$DB" "SELECT count(*) FROM pgstep.events WHERE tenant = '$T'"
}

# adopted TOOL TABLE N: adopt, status, verify, a second adopt and the table.
adopted() {
	tool=$1 table=$2 n=$3
	before=$(dump "$table")
	run adopt --dry-run
	is "$RC" 0 "$tool: adopt --dry-run exits 0"
	like "$OUT" "$T: $n migration\\(s\\) would be adopted from $tool" "$tool: the dry run says what it would adopt"
	is "$(no_state)" t "$tool: the dry run writes nothing"
	run adopt
	is "$RC" 0 "$tool: adopt exits 0"
	like "$OUT" "$T: $n migration\\(s\\) adopted from $tool" "$tool: adopt says what it adopted"
	is "$(q "$DB" "SELECT count(*) FROM pgstep.migrations WHERE state = 'applied'")" "$n" \
		"$tool: $n rows applied"
	is "$(q "$DB" "SELECT count(*) FROM pgstep.events WHERE action = 'adopt'")" "$n" \
		"$tool: one adopt event each"
	check_exit 0 "$tool: verify exits 0 after adopt" ps verify
	events_before=$(nevents)
	run adopt
	is "$RC" 0 "$tool: adopt again exits 0"
	like "$OUT" "nothing to adopt" "$tool: adopt again is a no-op"
	is "$(nevents)" "$events_before" "$tool: adopt again writes no event"
	is "$(dump "$table")" "$before" "$tool: its table is unchanged"
}

# --- golang-migrate: one row, every file up to it applied -----------------------
scenario gm gm
mig 001_a.sql <<'SQL'
CREATE TABLE gm_a (id int);
SQL
mig 002_b.sql <<'SQL'
CREATE TABLE gm_b (id int);
SQL
mig 003_c.sql <<'SQL'
CREATE TABLE gm_c (id int);
SQL
sql 001_a.sql 002_b.sql
q gm 'CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null primary key, dirty boolean not null);
	TRUNCATE "schema_migrations"; INSERT INTO "schema_migrations" (version, dirty) VALUES (2, false)' >/dev/null
adopted golang-migrate schema_migrations 2
like "$(q gm "SELECT detail FROM pgstep.events WHERE version = '1'")" \
	'"source":"golang-migrate".*"covered_by":"2".*"rows":\[\{"version":2,"dirty":false\}\]' \
	"golang-migrate: the event records the source row verbatim and the claim it rests on"
check_exit 0 "status --json" ps status --json
like "$TAP_OUT" '"version":"001","name":"a","phase":"[^"]*","state":"applied".*"version":"002","name":"b","phase":"[^"]*","state":"applied".*"version":"003","name":"c","phase":"[^"]*","state":"pending"' \
	"golang-migrate: status shows 001 and 002 applied, 003 pending"
check_exit 0 "golang-migrate: up applies the rest" ps up --yes
is "$(q gm "SELECT to_regclass('gm_c') IS NOT NULL")" t "golang-migrate: 003 ran"

check_exit 0 "golang-migrate: adopt --json after adopting" ps adopt --json
like "$TAP_OUT" '^\{"tenants":\[\{"name":"gm","source":"golang-migrate","table":"schema_migrations","exit":0,"error":null,"to_adopt":0,"written":false,"migrations":\[\{"version":"001","name":"a","state":"recorded","covered":true,"verified":false\}' \
	"golang-migrate: --json names the source, the table and each migration's state"

# A dirty version: reported, nothing written.
scenario gmd gmd
mig 001_a.sql <<'SQL'
CREATE TABLE gmd_a (id int);
SQL
mig 002_b.sql <<'SQL'
CREATE TABLE gmd_b (id int);
SQL
q gmd 'CREATE TABLE "schema_migrations" (version bigint not null primary key, dirty boolean not null);
	INSERT INTO "schema_migrations" VALUES (2, true)' >/dev/null
run adopt
is "$RC" 3 "golang-migrate dirty: adopt exits 3"
like "$OUT" 'tenant gmd: version 2: golang-migrate records it dirty' "golang-migrate dirty: the line names tenant and version"
like "$OUT" 'nothing adopted' "golang-migrate dirty: nothing adopted"
is "$(no_state)" t "golang-migrate dirty: nothing written (not even the pgstep schema)"

# The table under another name (x-migrations-table).
scenario gmt gmt
mig 001_a.sql <<'SQL'
CREATE TABLE gmt_a (id int);
SQL
q gmt 'CREATE TABLE "my_versions" (version bigint not null primary key, dirty boolean not null);
	INSERT INTO "my_versions" VALUES (1, false)' >/dev/null
run adopt
is "$RC" 2 "golang-migrate, another table name: not found without --from"
like "$ERR" 'no history table' "it says no history table was found"
run adopt --from golang-migrate:my_versions
is "$RC" 0 "golang-migrate: --from golang-migrate:TABLE reads that table"

# --- dbmate: one row per version ------------------------------------------------
scenario dbm dbm
mig 20240101000000_a.sql <<'SQL'
-- migrate:up
CREATE TABLE dbm_a (id int);
-- migrate:down
DROP TABLE dbm_a;
SQL
mig 20240102000000_b.sql <<'SQL'
-- migrate:up
CREATE TABLE dbm_b (id int);
-- migrate:down
DROP TABLE dbm_b;
SQL
mig 20240103000000_c.sql <<'SQL'
-- migrate:up
CREATE TABLE dbm_c (id int);
-- migrate:down
DROP TABLE dbm_c;
SQL
q dbm 'CREATE TABLE dbm_a (id int); CREATE TABLE dbm_b (id int);
	CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) primary key);
	INSERT INTO schema_migrations (version) VALUES (20240101000000), (20240102000000)' >/dev/null
adopted dbmate schema_migrations 2
check_exit 0 "dbmate: up applies the rest" ps up --yes
is "$(q dbm "SELECT state FROM pgstep.migrations WHERE version = '20240103000000'")" applied \
	"dbmate: the remaining file is applied by pgstep"
# The same with dbmate itself writing its table, when it is installed
# (npm install dbmate; DBMATE=path or dbmate in PATH).
DBMATE=${DBMATE:-$(command -v dbmate || true)}
if [ -n "$DBMATE" ] && [ -x "$DBMATE" ]; then
	scenario dbmr dbmr
	for v in 1 2 3; do
		printf -- '-- migrate:up\nCREATE TABLE dbmr_%s (id int);\n\n-- migrate:down\nDROP TABLE dbmr_%s;\n' "$v" "$v" \
			>"$P/migrations/2024010${v}000000_t$v.sql"
	done
	mv "$P/migrations/20240103000000_t3.sql" "$P/later.sql"
	if DATABASE_URL="postgres://postgres@/dbmr?host=$PGHOST&port=$PGPORT&sslmode=disable" \
		"$DBMATE" --migrations-dir "$P/migrations" --no-dump-schema up >"$P/dbmate.out" 2>&1; then
		pass "dbmate (the tool) migrates the database"
	else
		fail "dbmate (the tool) migrates the database"
		diag "$(cat "$P/dbmate.out")"
	fi
	mv "$P/later.sql" "$P/migrations/20240103000000_t3.sql"
	adopted dbmate schema_migrations 2
	check_exit 0 "dbmate (the tool): up applies the rest" ps up --yes
else
	pass "# SKIP dbmate is not installed (npm install dbmate)"
fi

# A recorded version with no file.
scenario dbmx dbmx
mig 20240101000000_a.sql <<'SQL'
-- migrate:up
CREATE TABLE dbmx_a (id int);
SQL
q dbmx 'CREATE TABLE schema_migrations (version varchar(128) primary key);
	INSERT INTO schema_migrations (version) VALUES (20240101000000), (20240109000000)' >/dev/null
before=$(dump schema_migrations)
run adopt
is "$RC" 3 "dbmate, a version with no file: adopt exits 3"
like "$OUT" 'tenant dbmx: version 20240109000000: recorded as applied by dbmate, but no file' \
	"dbmate: the line names tenant, version and the missing file"
is "$(no_state)" t "dbmate, a version with no file: nothing written"
is "$(dump schema_migrations)" "$before" "dbmate: its table is unchanged after a mismatch"

# --- Flyway: flyway_schema_history with its CRC32 checksums ---------------------
flyway_table() {
	q "$DB" 'CREATE TABLE "public"."flyway_schema_history" (
		"installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL,
		"type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER,
		"installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
		"execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL);
	ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
	CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success")' >/dev/null
}
# The four files and the checksums Flyway's algorithm gives them (computed
# with java.util.zip.CRC32 over BufferedReader lines, as Flyway's
# ChecksumCalculator does): LF, CRLF, a BOM and non-ASCII text.
flyway_files() {
	printf 'CREATE TABLE fw_a (id int);\nINSERT INTO fw_a VALUES (1);\n' >"$P/migrations/V1__lf.sql"
	printf 'CREATE TABLE fw_b (id int);\r\nINSERT INTO fw_b VALUES (2);\r\n' >"$P/migrations/V2__crlf.sql"
	printf '\357\273\277CREATE TABLE fw_c (id int);\n' >"$P/migrations/V3__bom.sql"
	printf -- "-- caf\303\251 \342\202\254 na\303\257ve\nCREATE TABLE fw_d (n text DEFAULT 'Gr\303\274\303\237e');\n" >"$P/migrations/V4__utf8.sql"
}
scenario fw fw
flyway_files
mig V5__next.sql <<'SQL'
CREATE TABLE fw_e (id int);
SQL
flyway_table
q fw "INSERT INTO flyway_schema_history VALUES
	(1, '1', 'lf', 'SQL', 'V1__lf.sql', -549981484, 'alice', '2024-01-01 10:00:00', 12, true),
	(2, '2', 'crlf', 'SQL', 'V2__crlf.sql', -1289732936, 'alice', '2024-01-01 10:00:01', 7, true),
	(3, '3', 'bom', 'SQL', 'V3__bom.sql', -1762631518, 'bob', '2024-01-02 10:00:00', 5, true),
	(4, '4', 'utf8', 'SQL', 'V4__utf8.sql', 1290210301, 'bob', '2024-01-03 10:00:00', 250, true)" >/dev/null
adopted flyway flyway_schema_history 4
is "$(q fw "SELECT db_user, duration_ms FROM pgstep.migrations WHERE version = '4'")" "bob|250" \
	"flyway: who and how long come from its row"
like "$(q fw "SELECT detail FROM pgstep.events WHERE version = '2'")" '"verified":true.*"rows":\[\{"installed_rank":2,"version":"2".*"checksum":-1289732936' \
	"flyway: the event holds its row verbatim, the checksum verified"
check_exit 0 "flyway: up applies the rest" ps up --yes
# An edited file, a Java migration, a failed row: one line each.
scenario fwx fwx
flyway_files
flyway_table
printf 'CREATE TABLE fw_b (id bigint);\r\nINSERT INTO fw_b VALUES (2);\r\n' >"$P/migrations/V2__crlf.sql"
q fwx "INSERT INTO flyway_schema_history VALUES
	(1, '1', 'lf', 'SQL', 'V1__lf.sql', -549981484, 'alice', now(), 12, true),
	(2, '2', 'crlf', 'SQL', 'V2__crlf.sql', -1289732936, 'alice', now(), 7, true),
	(3, '3', 'bom', 'SQL', 'V3__bom.sql', -1762631518, 'alice', now(), 5, false),
	(4, '3.5', 'java thing', 'JDBC', 'db.migration.V3_5__java_thing', NULL, 'alice', now(), 1, true)" >/dev/null
before=$(dump flyway_schema_history)
run adopt
is "$RC" 3 "flyway mismatches: adopt exits 3"
like "$OUT" 'tenant fwx: version 2: the file differs from what was applied: flyway recorded checksum -1289732936' \
	"flyway: an edited file is named"
like "$OUT" 'tenant fwx: version 3: flyway records a failed migration' "flyway: a failed row is named"
like "$OUT" 'tenant fwx: version 3.5: flyway records it as applied by code \(JDBC\)' "flyway: a JDBC migration is named"
is "$(no_state)" t "flyway mismatches: nothing written"
is "$(dump flyway_schema_history)" "$before" "flyway: its table is unchanged"
# A BASELINE row stands for every version up to it.
scenario fwb fwb
flyway_files
flyway_table
q fwb "INSERT INTO flyway_schema_history VALUES
	(1, '2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'alice', now(), 0, true),
	(2, '3', 'bom', 'SQL', 'V3__bom.sql', -1762631518, 'alice', now(), 5, true)" >/dev/null
run adopt
is "$RC" 0 "flyway baseline: adopt exits 0"
is "$(q fwb "SELECT string_agg(version, ',' ORDER BY version) FROM pgstep.migrations WHERE state = 'applied'")" \
	"1,2,3" "flyway baseline: 1 and 2 (baseline) and 3 adopted, 4 left"

# --- Prisma: _prisma_migrations, several rows per name --------------------------
prisma_table() {
	q "$DB" 'CREATE TABLE "_prisma_migrations" (
		"id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL,
		"finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT,
		"rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
		"applied_steps_count" INTEGER NOT NULL DEFAULT 0)' >/dev/null
}
sha256() { sha256sum "$1" | cut -d' ' -f1; }
scenario pr pr
# Prisma's own layout: <timestamp>_<name>/migration.sql and its lock file.
printf '# Please do not edit this file manually\nprovider = "postgresql"\n' >"$P/migrations/migration_lock.toml"
for d in 20240101000000_init 20240102000000_users 20240103000000_more; do
	mkdir "$P/migrations/$d"
done
mig 20240101000000_init/migration.sql <<'SQL'
-- CreateTable
CREATE TABLE "pr_a" ("id" INTEGER NOT NULL);
SQL
mig 20240102000000_users/migration.sql <<'SQL'
-- CreateTable
CREATE TABLE "pr_b" ("id" INTEGER NOT NULL);
SQL
mig 20240103000000_more/migration.sql <<'SQL'
-- CreateTable
CREATE TABLE "pr_c" ("id" INTEGER NOT NULL);
SQL
prisma_table
h1=$(sha256 "$P/migrations/20240101000000_init/migration.sql")
# Prisma on a CRLF checkout recorded the digest of the CRLF text.
h2=$(sed 's/$/\r/' "$P/migrations/20240102000000_users/migration.sql" | sha256sum | cut -d' ' -f1)
q pr "INSERT INTO _prisma_migrations VALUES
	('0b2c3d4e-0000-4000-8000-000000000001', '$h1', '2024-01-01 10:00:00.250+00', '20240101000000_init', NULL, NULL, '2024-01-01 10:00:00+00', 1),
	('0b2c3d4e-0000-4000-8000-000000000002', '$h2', NULL, '20240102000000_users', 'error: boom', '2024-01-02 11:00:00+00', '2024-01-02 10:00:00+00', 0),
	('0b2c3d4e-0000-4000-8000-000000000003', '$h2', '2024-01-02 12:00:01+00', '20240102000000_users', NULL, NULL, '2024-01-02 12:00:00+00', 1)" >/dev/null
adopted prisma _prisma_migrations 2
is "$(q pr "SELECT duration_ms FROM pgstep.migrations WHERE version = '20240101000000'")" 250 \
	"prisma: the duration comes from started_at and finished_at"
like "$(q pr "SELECT detail FROM pgstep.events WHERE version = '20240102000000'")" '"rows":\[\{"id":"0b2c3d4e-0000-4000-8000-000000000002".*\},\{"id":"0b2c3d4e-0000-4000-8000-000000000003"' \
	"prisma: both rows of the name are recorded"
check_exit 0 "prisma: up applies the rest" ps up --yes
is "$(q pr "SELECT to_regclass('pr_c') IS NOT NULL")" t "prisma: 20240103000000_more/migration.sql ran"
check_exit 0 "prisma: status --json" ps status --json
like "$TAP_OUT" '"version":"20240101000000","name":"init","phase":"[^"]*","state":"applied"' \
	"prisma: the directory's timestamp and name are the migration's"
scenario prx prx
mig 20240101000000_init.sql <<'SQL'
CREATE TABLE prx_a (id int);
SQL
prisma_table
q prx "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at)
	VALUES ('1', '$(sha256 "$P/migrations/20240101000000_init.sql")', NULL, '20240101000000_init', now())" >/dev/null
run adopt
is "$RC" 3 "prisma, an unfinished row: adopt exits 3"
like "$OUT" 'tenant prx: version 20240101000000_init: prisma records a failed migration' "prisma: the failed row is named"

# --- sqitch: sqitch.changes and sqitch.events, SHA-1 script hashes --------------
sqitch_tables() {
	q "$DB" "CREATE SCHEMA sqitch;
	CREATE TABLE sqitch.changes (change_id TEXT PRIMARY KEY, script_hash TEXT NULL, change TEXT NOT NULL,
		project TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',
		committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), committer_name TEXT NOT NULL,
		committer_email TEXT NOT NULL, planned_at TIMESTAMPTZ NOT NULL, planner_name TEXT NOT NULL,
		planner_email TEXT NOT NULL, UNIQUE (project, script_hash));
	CREATE TABLE sqitch.events (event TEXT NOT NULL CHECK (event IN ('deploy', 'revert', 'fail', 'merge')),
		change_id TEXT NOT NULL, change TEXT NOT NULL, project TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',
		requires TEXT[] NOT NULL DEFAULT '{}', conflicts TEXT[] NOT NULL DEFAULT '{}',
		tags TEXT[] NOT NULL DEFAULT '{}', committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
		committer_name TEXT NOT NULL, committer_email TEXT NOT NULL, planned_at TIMESTAMPTZ NOT NULL,
		planner_name TEXT NOT NULL, planner_email TEXT NOT NULL, PRIMARY KEY (change_id, committed_at))" >/dev/null
}
# sqitch_deploy CHANGE ID FILE: the rows sqitch writes for a deploy.
sqitch_deploy() {
	h=$(sha1sum "$P/migrations/$3" | cut -d' ' -f1)
	q "$DB" "INSERT INTO sqitch.changes VALUES ('$2', '$h', '$1', 'flipr', '', clock_timestamp(),
		'Marge', 'marge@example.com', '2024-01-01', 'Marge', 'marge@example.com');
	INSERT INTO sqitch.events (event, change_id, change, project, committer_name, committer_email,
		planned_at, planner_name, planner_email)
		VALUES ('deploy', '$2', '$1', 'flipr', 'Marge', 'marge@example.com', '2024-01-01', 'Marge', 'marge@example.com')" >/dev/null
}
scenario sq sq
# sqitch's own layout: sqitch.plan with deploy/, revert/ and verify/ scripts.
mkdir "$P/migrations/deploy" "$P/migrations/revert" "$P/migrations/verify"
printf '[core]\n\tengine = pg\n' >"$P/migrations/sqitch.conf"
cat >"$P/migrations/sqitch.plan" <<'PLAN'
%syntax-version=1.0.0
%project=flipr
%uri=https://github.com/sqitchers/sqitch-intro/

users 2024-01-01T10:00:00Z Marge N. <marge@example.com> # Creates table to track our users.
flips [users] 2024-01-01T10:05:00Z Marge N. <marge@example.com> # Adds table for storing flips.
@v1.0.0-dev1 2024-01-01T10:06:00Z Marge N. <marge@example.com> # Tag v1.0.0-dev1.

later [users flips] 2024-01-02T10:00:00Z Marge N. <marge@example.com> # Later.
PLAN
for c in users flips later; do
	printf -- '-- Deploy flipr:%s to pg\n\nBEGIN;\n\nCREATE TABLE sq_%s (id int);\n\nCOMMIT;\n' "$c" "$c" >"$P/migrations/deploy/$c.sql"
	printf -- '-- Revert flipr:%s from pg\n\nBEGIN;\n\nDROP TABLE sq_%s;\n\nCOMMIT;\n' "$c" "$c" >"$P/migrations/revert/$c.sql"
	printf -- '-- Verify flipr:%s on pg\n\nSELECT id FROM sq_%s WHERE false;\n' "$c" "$c" >"$P/migrations/verify/$c.sql"
done
sqitch_tables
q sq 'CREATE TABLE sq_users (id int); CREATE TABLE sq_flips (id int)' >/dev/null
sqitch_deploy users 7a1b deploy/users.sql
sqitch_deploy flips 8c2d deploy/flips.sql
check_exit 0 "sqitch: status --json reads the plan" ps status --json
like "$TAP_OUT" '"version":"1","name":"users".*"version":"2","name":"flips".*"version":"3","name":"later"' \
	"sqitch: the plan's changes in order, numbered"
adopted sqitch sqitch.events 2
is "$(q sq "SELECT os_user FROM pgstep.migrations WHERE name = 'users'")" "Marge <marge@example.com>" \
	"sqitch: the committer is recorded"
check_exit 0 "sqitch: up applies the rest" ps up --yes
is "$(q sq "SELECT to_regclass('sq_later') IS NOT NULL")" t "sqitch: deploy/later.sql ran"
check_exit 0 "sqitch: down runs revert/later.sql" ps down --yes
is "$(q sq "SELECT to_regclass('sq_later') IS NULL")" t "sqitch: revert/later.sql ran"
# A plan the loader refuses: a dependency not planned before, a reworked change.
scenario sqp sqp
mkdir "$P/migrations/deploy"
printf 'a [b] 2024-01-01T10:00:00Z M <m@example.com>\nb 2024-01-01T10:00:00Z M <m@example.com>\nb 2024-01-02T10:00:00Z M <m@example.com>\n' \
	>"$P/migrations/sqitch.plan"
echo 'CREATE TABLE sqp_a (id int);' >"$P/migrations/deploy/a.sql"
echo 'CREATE TABLE sqp_b (id int);' >"$P/migrations/deploy/b.sql"
run status
is "$RC" 2 "sqitch: a plan with errors stops the command (exit 2)"
like "$ERR" 'sqitch.plan:1: .*change a requires b, which is not planned before it' "a dependency planned later is named with its line"
like "$ERR" 'sqitch.plan:3: .*change b is reworked' "a reworked change is named with its line"

scenario sqx sqx
mig 001_users.sql <<'SQL'
CREATE TABLE sq_users (id int);
SQL
sqitch_tables
sqitch_deploy users 7a1b 001_users.sql
echo 'CREATE INDEX ON sq_users (id);' >>"$P/migrations/001_users.sql"
run adopt
is "$RC" 3 "sqitch, an edited deploy script: adopt exits 3"
like "$OUT" 'tenant sqx: version users: the file differs from what was applied: sqitch recorded checksum' \
	"sqitch: the edited script is named"

# --- goose: goose_db_version, the latest row of a version decides ---------------
goose_table() {
	q "$DB" "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL,
		is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id));
	INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true)" >/dev/null
}
scenario gs gs
mig 001_a.sql <<'SQL'
-- +goose Up
CREATE TABLE gs_a (id int);
-- +goose Down
DROP TABLE gs_a;
SQL
mig 002_b.sql <<'SQL'
-- +goose Up
CREATE TABLE gs_b (id int);
-- +goose Down
DROP TABLE gs_b;
SQL
mig 003_c.sql <<'SQL'
-- +goose Up
CREATE TABLE gs_c (id int);
-- +goose Down
DROP TABLE gs_c;
SQL
goose_table
q gs "CREATE TABLE gs_a (id int); CREATE TABLE gs_b (id int);
	INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, true), (2, true), (3, true), (3, false)" >/dev/null
adopted goose goose_db_version 2
check_exit 0 "goose: up applies the rest (3 was rolled back: its latest row decides)" ps up --yes
is "$(q gs "SELECT to_regclass('gs_c') IS NOT NULL")" t "goose: 003 ran"
scenario gsx gsx
mig 001_a.sql <<'SQL'
-- +goose Up
CREATE TABLE gsx_a (id int);
SQL
mig 002_b.sql <<'SQL'
-- +goose Up
CREATE TABLE gsx_b (id int);
SQL
goose_table
q gsx "INSERT INTO goose_db_version (version_id, is_applied) VALUES (2, true), (1, true)" >/dev/null
run adopt
is "$RC" 3 "goose, another order: adopt exits 3"
like "$OUT" "tenant gsx: version 002: applied by goose before version 001" "goose: the order is named"

# --- two tools' tables: adopt asks which -------------------------------------
scenario two two
mig 001_a.sql <<'SQL'
CREATE TABLE two_a (id int);
SQL
goose_table
q two "INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, true)" >/dev/null
flyway_table
run adopt
is "$RC" 2 "two tools' tables: adopt exits 2"
like "$ERR" 'history tables of several tools \(flyway, goose\): choose one with --from' "it names both and asks for --from"
run adopt --from goose
is "$RC" 0 "--from goose adopts goose's history"
run adopt --from liquibase
is "$RC" 2 "--from an unknown tool exits 2"

# --- adopting takes pgstep's tenant lock ----------------------------------------
scenario lk lk
mig 001_a.sql <<'SQL'
CREATE TABLE lk_a (id int);
SQL
q lk 'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null);
	INSERT INTO schema_migrations VALUES (1, false)' >/dev/null
# pgstep's lock keys: 'pgst' and the first four bytes of the tenant's SHA-256.
objid=$(printf lk | sha256sum | cut -c1-8)
objid=$(( 0x$objid ))
[ "$objid" -ge 2147483648 ] && objid=$(( objid - 4294967296 ))
"$PG_BINDIR/psql" -X -q -At -d lk -c "SELECT pg_advisory_lock(1885827956, $objid), pg_sleep(60)" >/dev/null 2>&1 &
holder_pid=$!
i=0
while [ "$(q lk "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" != 1 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
run adopt
is "$RC" 4 "adopt while another pgstep holds the tenant's lock exits 4"
like "$ERR" 'tenant lk is locked by another pgstep' "it names the lock"
is "$(no_state)" t "nothing was written while locked"
kill "$holder_pid" 2>/dev/null
wait "$holder_pid" 2>/dev/null
q lk "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
run adopt
is "$RC" 0 "once the lock is free, adopt runs"

done_testing
