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

done_testing
