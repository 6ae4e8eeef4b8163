#!/bin/sh
# pgstep schema: the snapshot of a live tenant lists every modelled object
# kind by name; two schema tenants built from the same SQL compare equal;
# a change of each kind injected on one of them is reported naming the
# object and what changed; database tenants too; the snapshot after `up` of
# the sample set is stable and equal on two schema tenants.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
pg_createdb fx
pg_createdb db1
pg_createdb db2
pg_createdb app
FIXTURE=$TESTDATA/schema/fixture.sql

# build DB SCHEMA: the fixture in SCHEMA (made afresh).
build() {
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" \
		-c "DROP SCHEMA IF EXISTS $2 CASCADE" -c "CREATE SCHEMA $2" \
		-c "SET search_path = $2, public" -f "$FIXTURE" >/dev/null 2>&1 ||
		{ echo "Bail out! the fixture does not build in $1.$2"; exit 1; }
}
# on DB SCHEMA SQL: run SQL there.
on() {
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" \
		-c "SET search_path = $2, public" -c "$3" >/dev/null 2>&1
}

q fx "CREATE EXTENSION btree_gist" >/dev/null
build fx acme
build fx globex
for d in db1 db2; do
	build $d public
	q $d "CREATE EXTENSION btree_gist" >/dev/null
done
project_new
conf_tenant acme fx acme
conf_tenant globex fx globex
conf_tenant db1 db1
conf_tenant db2 db2
conf_tenant s1 app s1
conf_tenant s2 app s2
conf_tenant app app

# --- the snapshot lists each kind by name --------------------------------
check_exit 0 "schema --tenant acme --json" ps schema --tenant acme --json
json=$TAP_OUT
is "$(printf '%s' "$json" | jq -r '.tenants[0].round_trips')" 1 "one round trip to the server"
has() {
	got=$(printf '%s' "$json" | jq -r --arg k "$1" --arg n "$2" \
		'[.tenants[0].objects[] | select(.kind == $k and .name == $n)] | length')
	is "$got" 1 "the snapshot lists $1 $2"
}
has schema @schema
has enum status
has domain positive_int
has "composite type" pair
has "range type" floatrange
has sequence counter
has sequence runs_id_seq
has table runs
has table events
has table events_2026
has column runs.workflow_version_id
has constraint runs.runs_pkey
has constraint runs.runs_workflow_id_fkey
has constraint runs.note_short
has constraint runs.no_overlap
has constraint runs.runs_version_unique
has constraint positive_int.positive
has index runs_state_idx
has view active_runs
has "materialized view" run_counts
has function "add_one(integer)"
has function "touch()"
has procedure "reset_counter()"
has aggregate "sum_plus(integer)"
has trigger runs.runs_touch
has rule scratch.scratch_no_delete
has policy runs.runs_visible
attr() {
	printf '%s' "$json" | jq -r --arg k "$1" --arg n "$2" --arg a "$3" \
		'.tenants[0].objects[] | select(.kind == $k and .name == $n) | .attributes[$a] | tostring'
}
is "$(attr enum status labels)" "'new', 'running', 'done'" "enum labels in order"
is "$(attr column runs.id default)" "nextval('@schema.runs_id_seq'::regclass)" \
	"the schema's name is abstracted in definitions"
is "$(attr column workflows.id identity)" "always" "identity column"
is "$(attr column runs.doubled generated)" "(workflow_id * 2)" "generated column"
is "$(attr column workflows.name collation)" '"C"' "column collation"
is "$(attr table runs 'RLS forced')" true "RLS forced"
is "$(attr table scratch unlogged)" true "unlogged table"
is "$(attr table events_2026 'partition of')" "@schema.events" "partition of"
is "$(attr table special_item inherits)" "@schema.base_item" "inheritance"
is "$(attr constraint runs.note_short 'NOT VALID')" true "NOT VALID constraint"
is "$(attr sequence runs_id_seq 'owned by')" "@schema.runs.id" "sequence owned by"
is "$(attr trigger runs.runs_touch enabled)" "yes" "trigger enabled state"
is "$(attr column runs.note comment)" "free text" "column comment"
is "$(printf '%s' "$json" | jq -r '[.tenants[0].objects[] | select(.kind == "function") | .name] | join(" ")')" \
	"add_one(integer) events_touch() touch()" "a range type's constructors are not listed as functions"
like "$(printf '%s' "$json" | jq -r '.tenants[0].not_compared[] | .kind + ":" + (.count | tostring)')" \
	"privileges:null" "kinds not compared are listed"
is "$(printf '%s' "$json" | jq -r '.tenants[0].not_compared[] | select(.kind == "base types") | .count')" \
	0 "the array types of enums and tables are not counted as base types"

check_exit 0 "schema in text" ps schema --tenant acme
like "$TAP_OUT" "^tenant acme \(schema acme, written @schema\)" "text names tenant and placeholder"
like "$TAP_OUT" "^    workflow_version_id  bigint$" "columns under their table"
like "$TAP_OUT" "^not compared" "text lists the kinds not compared"
is "$(printf '%s\n' "$TAP_OUT" | awk 'length > 80' | head -3)" "" "text fits 80 columns"

# --- two tenants from the same SQL: no false difference ------------------
check_exit 0 "acme and globex compare equal" ps schema --tenant acme --compare globex
like "$TAP_OUT" "no differences" "no differences"
# Two schemas of one database are read together: the same as one by one.
n_acme=$(printf '%s' "$json" | jq -r '.tenants[0].object_count')
like "$TAP_OUT" "no differences \($n_acme objects compared\)" \
	"the read of both has acme's objects, as acme's own read"
single_nc=$(printf '%s' "$json" | jq -c '.tenants[0].not_compared')
check_exit 0 "--compare --json" ps schema --tenant acme --compare globex --json
is "$(printf '%s' "$TAP_OUT" | jq -c '.tenants[0].not_compared')" "$single_nc" \
	"and the same kinds not compared"
is "$(printf '%s' "$TAP_OUT" | jq -c '.tenants[1].not_compared')" "$single_nc" "for both"
is "$(printf '%s' "$TAP_OUT" | jq -r '.tenants[1].object_count')" "$n_acme" \
	"globex: as many objects"
is "$(printf '%s' "$TAP_OUT" | jq -c '.differences')" "[]" "no differences in JSON"

# --- a change of each kind is reported --------------------------------
# inject DESCRIPTION SQL OBJECT-REGEX DETAIL-REGEX [EXIT]
inject() {
	build fx globex
	on fx globex "$2" || { fail "$1: the change does not apply"; return; }
	check_exit "${5:-3}" "$1: reported" ps schema --tenant acme --compare globex
	like "$TAP_OUT" "$3" "$1: names the object"
	[ -n "$4" ] && like "$TAP_OUT" "$4" "$1: says what changed"
}
inject "schema comment" "COMMENT ON SCHEMA globex IS 'x'" "changed +schema @schema$" "comment added: x"
inject "enum label added" "ALTER TYPE status ADD VALUE 'failed'" "changed +enum @schema.status" \
	"labels changed: 'new', 'running', 'done' -> 'new', 'running', 'done', 'failed'"
inject "enum added" "CREATE TYPE color AS ENUM ('red')" "added +enum @schema.color"
inject "domain NOT NULL dropped" "ALTER DOMAIN positive_int DROP NOT NULL" \
	"changed +domain @schema.positive_int" "NOT NULL removed"
inject "domain constraint dropped" "ALTER DOMAIN positive_int DROP CONSTRAINT positive" \
	"removed +constraint @schema.positive_int.positive"
inject "composite attribute added" "ALTER TYPE pair ADD ATTRIBUTE c int" \
	"changed +composite type @schema.pair" "attributes changed"
inject "range type added" "CREATE TYPE intr AS RANGE (subtype = int4)" "added +range type @schema.intr"
inject "sequence altered" "ALTER SEQUENCE counter INCREMENT 7" "changed +sequence @schema.counter" \
	"increment changed: 5 -> 7"
inject "sequence dropped" "DROP SEQUENCE counter" "removed +sequence @schema.counter"
inject "table added" "CREATE TABLE extra (a int)" "added +table @schema.extra"
inject "table dropped" "DROP TABLE scratch" "removed +table @schema.scratch"
inject "RLS disabled" "ALTER TABLE runs DISABLE ROW LEVEL SECURITY" "changed +table @schema.runs" \
	"RLS enabled removed"
inject "persistence" "ALTER TABLE scratch SET LOGGED" "changed +table @schema.scratch" "unlogged removed"
inject "partition detached" "ALTER TABLE events DETACH PARTITION events_2026" \
	"changed +table @schema.events_2026" "partition of removed"
inject "inheritance removed" "ALTER TABLE special_item NO INHERIT base_item" \
	"changed +table @schema.special_item" "inherits removed"
inject "column added" "ALTER TABLE runs ADD COLUMN x int" "added +column @schema.runs.x"
inject "column dropped" "ALTER TABLE runs DROP COLUMN note" "removed +column @schema.runs.note"
inject "NOT NULL added" "ALTER TABLE runs ALTER workflow_version_id SET NOT NULL" \
	"changed +column @schema.runs.workflow_version_id" "NOT NULL added"
inject "column type" "ALTER TABLE workflows ALTER name TYPE varchar(200)" \
	"changed +column @schema.workflows.name" "type changed: text -> character varying\(200\)"
inject "default dropped" "ALTER TABLE workflows ALTER created_at DROP DEFAULT" \
	"changed +column @schema.workflows.created_at" "default removed \(was now\(\)\)"
inject "collation" "ALTER TABLE scratch ALTER k TYPE text COLLATE \"POSIX\"" \
	"changed +column @schema.scratch.k" "collation added: \"POSIX\""
inject "identity" "ALTER TABLE workflows ALTER id SET GENERATED BY DEFAULT" \
	"changed +column @schema.workflows.id" "identity changed: always -> by default"
inject "generated dropped" "ALTER TABLE runs ALTER doubled DROP EXPRESSION" \
	"changed +column @schema.runs.doubled" "generated removed"
inject "constraint validated" "ALTER TABLE runs VALIDATE CONSTRAINT note_short" \
	"changed +constraint @schema.runs.note_short" "NOT VALID removed"
inject "foreign key dropped" "ALTER TABLE runs DROP CONSTRAINT runs_workflow_id_fkey" \
	"removed +constraint @schema.runs.runs_workflow_id_fkey"
inject "foreign key action" "ALTER TABLE runs DROP CONSTRAINT runs_workflow_id_fkey; ALTER TABLE runs ADD CONSTRAINT runs_workflow_id_fkey FOREIGN KEY (workflow_id) REFERENCES workflows (id) ON DELETE RESTRICT" \
	"changed +constraint @schema.runs.runs_workflow_id_fkey" "definition changed"
inject "deferrable" "ALTER TABLE runs ALTER CONSTRAINT runs_workflow_id_fkey DEFERRABLE" \
	"changed +constraint @schema.runs.runs_workflow_id_fkey" "definition changed"
inject "exclusion dropped" "ALTER TABLE runs DROP CONSTRAINT no_overlap" \
	"removed +constraint @schema.runs.no_overlap"
inject "check added" "ALTER TABLE runs ADD CONSTRAINT pos CHECK (id > 0)" \
	"added +constraint @schema.runs.pos"
inject "index dropped" "DROP INDEX runs_state_idx" "removed +index @schema.runs_state_idx"
inject "index added" "CREATE INDEX runs_note_idx ON runs (note)" "added +index @schema.runs_note_idx"
inject "index redefined" "DROP INDEX runs_state_idx; CREATE INDEX runs_state_idx ON runs (state)" \
	"changed +index @schema.runs_state_idx" "definition changed"
inject "index invalid" "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'runs_state_idx'::regclass" \
	"changed +index @schema.runs_state_idx" "invalid added"
inject "view redefined" "CREATE OR REPLACE VIEW active_runs AS SELECT id, workflow_id FROM runs" \
	"changed +view @schema.active_runs" "definition changed"
inject "materialized view dropped" "DROP MATERIALIZED VIEW run_counts" \
	"removed +materialized view @schema.run_counts"
inject "function redefined" "CREATE OR REPLACE FUNCTION add_one(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x + 2" \
	"changed +function @schema.add_one\(integer\)" "definition changed"
inject "function overload added" "CREATE FUNCTION add_one(x bigint) RETURNS bigint LANGUAGE sql RETURN x + 1" \
	"added +function @schema.add_one\(bigint\)"
inject "procedure dropped" "DROP PROCEDURE reset_counter" "removed +procedure @schema.reset_counter\(\)"
inject "aggregate redefined" "DROP AGGREGATE sum_plus(integer); CREATE AGGREGATE sum_plus(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '1')" \
	"changed +aggregate @schema.sum_plus\(integer\)" "definition changed"
inject "trigger disabled" "ALTER TABLE runs DISABLE TRIGGER runs_touch" \
	"changed +trigger @schema.runs.runs_touch" "enabled changed: yes -> no"
inject "a partition's trigger disabled on its own" "ALTER TABLE events_2026 DISABLE TRIGGER events_touch" \
	"added +trigger @schema.events_2026.events_touch" ""
inject "trigger dropped" "DROP TRIGGER runs_touch ON runs" "removed +trigger @schema.runs.runs_touch"
inject "rule dropped" "DROP RULE scratch_no_delete ON scratch" "removed +rule @schema.scratch.scratch_no_delete"
inject "policy altered" "ALTER POLICY runs_visible ON runs USING (true)" \
	"changed +policy @schema.runs.runs_visible" "definition changed"
inject "policy dropped" "DROP POLICY runs_visible ON runs" "removed +policy @schema.runs.runs_visible"
inject "column comment" "COMMENT ON COLUMN runs.note IS 'changed'" \
	"changed +column @schema.runs.note" "comment changed: free text -> changed"
inject "column order (low severity, exit 0)" \
	"ALTER TABLE scratch DROP COLUMN k; ALTER TABLE scratch ADD COLUMN k text" \
	"low +table @schema.scratch" "columns in order v, k \(was k, v\)" 0
inject "not compared kind present" "CREATE COLLATION mycoll (provider = libc, locale = 'C')" \
	"collations: 0 -> 1"
inject "a shell type counted as a base type" "CREATE TYPE myshell" "base types: 0 -> 1"

# --- the privileges layer, switched off by default ----------------------
build fx globex
q fx "CREATE ROLE reader" >/dev/null
on fx globex "GRANT SELECT ON runs TO reader; ALTER TABLE scratch OWNER TO reader" ||
	fail "grant and owner change do not apply"
check_exit 0 "privileges and owners are not compared by default" \
	ps schema --tenant acme --compare globex
like "$TAP_OUT" "no differences" "no differences without --privileges"
check_exit 3 "--privileges compares them" ps schema --tenant acme --compare globex --privileges
like "$TAP_OUT" "changed +table @schema.runs" "the granted table is named"
like "$TAP_OUT" "privileges added: \{postgres=arwdDxtm?/postgres,reader=r/postgres\}" \
	"the grant is shown"
like "$TAP_OUT" "owner changed: postgres -> reader" "the new owner is shown"
check_exit 0 "--privileges --json" ps schema --tenant acme --privileges --json
is "$(printf '%s' "$TAP_OUT" | jq -r '[.tenants[0].not_compared[] | select(.kind == "privileges" or .kind == "ownership")] | length')" \
	0 "with --privileges, privileges and ownership are not listed as not compared"
is "$(printf '%s' "$TAP_OUT" | jq -r '.tenants[0].objects[] | select(.kind == "table" and .name == "runs") | .attributes.owner')" \
	postgres "a table's owner"

# --- database tenants ------------------------------------------------------
check_exit 0 "two databases from the same SQL compare equal" ps schema --tenant db1 --compare db2
like "$TAP_OUT" "no differences" "no differences between db1 and db2"
check_exit 0 "a database snapshot" ps schema --tenant db1 --json
json=$TAP_OUT
is "$(printf '%s' "$json" | jq -r '[.tenants[0].objects[] | select(.kind == "extension") | .name] | join(" ")')" \
	"btree_gist" "database tenant: extensions listed (not plpgsql)"
is "$(printf '%s' "$json" | jq -r '[.tenants[0].objects[] | select(.kind == "function" and (.name | startswith("gbt_")))] | length')" \
	0 "an extension's functions are the extension's, not listed"
is "$(printf '%s' "$json" | jq -r '[.tenants[0].objects[] | select(.kind == "table" and .schema == "public" and .name == "runs")] | length')" \
	1 "database tenant: objects keep their schema"
like "$(printf '%s' "$json" | jq -r '.tenants[0].not_compared[].kind')" "publications" \
	"database tenant: publications are listed as not compared"
q db2 "CREATE EXTENSION pg_trgm; CREATE PUBLICATION pub FOR TABLE public.runs" >/dev/null
check_exit 3 "db2 with an extension and a publication differs" ps schema --tenant db1 --compare db2
like "$TAP_OUT" "added +extension pg_trgm" "the extension is named"
like "$TAP_OUT" "publications: 0 -> 1" "the publication is counted as not compared"

# --- nothing pg_dump lists is missing ----------------------------------
# dump_check DB: every object pg_dump --schema-only names (its "-- Name: ..;
# Type: ..; Schema: .." headers) is in the snapshot, or of a kind listed as
# not compared (and counted); and the snapshot has nothing pg_dump lacks
# but the valid CHECK constraints it prints inside CREATE TABLE or DOMAIN.
dump_check() {
	"$PG_BINDIR/pg_dump" --schema-only -d "$1" >"$P/dump.sql" ||
		{ fail "$1: pg_dump --schema-only"; return; }
	sed -n 's/^-- Name: \(.*\); Type: \(.*\); Schema: \(.*\); Owner: .*$/\2|\3|\1/p' "$P/dump.sql" |
		awk -f "$TESTDATA/schema/dump_kinds.awk" >"$P/dumped.raw"
	# pg_dump takes the public schema as given unless it was recreated.
	{ cat "$P/dumped.raw"; echo "schema|-|public"; } | sort -u >"$P/dumped"
	ps schema --tenant "$1" --json >"$P/snap.json" || { fail "$1: schema --json"; return; }
	jq -r '.tenants[0].objects[] | select(.kind != "column")
		| select(.kind != "constraint" or (.definition | startswith("CHECK") | not)
			or .attributes["NOT VALID"])
		| "\(.kind)|\(.schema // "-")|\(.name)"' "$P/snap.json" |
		sed 's/^\(enum\|composite type\|range type\)|/type|/' | sort -u >"$P/snapped"
	jq -r '.tenants[0].not_compared[] | select(.count != null and .count > 0) | .kind' \
		"$P/snap.json" >"$P/uncompared"
	missing=$(comm -23 "$P/dumped" "$P/snapped" | while IFS='|' read -r k _ _; do
		case $k in
		'?'*) kind=$(printf '%ss' "${k#?}" | tr 'A-Z' 'a-z')
			grep -qx "$kind" "$P/uncompared" || echo "$k (not counted as $kind)" ;;
		*) echo "$k" ;;
		esac
	done)
	is "$missing" "" "$1: every object pg_dump lists is in the snapshot or counted as not compared"
	[ -z "$missing" ] || diag "$(comm -23 "$P/dumped" "$P/snapped")"
	is "$(comm -13 "$P/dumped" "$P/snapped")" "" "$1: the snapshot lists nothing pg_dump does not"
	like "$(wc -l <"$P/dumped")" "[0-9]" "$1: pg_dump listed objects"
}
q db1 "CREATE PUBLICATION pub1 FOR TABLE public.runs" >/dev/null
dump_check db1

# --- the sample set: stable, and equal on two schema tenants ----------
check_exit 0 "up of the sample set" ps up --tenant s1 --tenant s2 --tenant app --yes
check_exit 0 "snapshot of s1" ps schema --tenant s1 --json
first=$(printf '%s' "$TAP_OUT" | jq -c '.tenants[0].objects')
check_exit 0 "snapshot of s1 again" ps schema --tenant s1 --json
second=$(printf '%s' "$TAP_OUT" | jq -c '.tenants[0].objects')
is "$second" "$first" "the snapshot taken twice is the same"
like "$(printf '%s' "$first" | jq -r 'length')" "^[0-9]{2,}$" "the sample set builds objects"
check_exit 0 "s1 and s2 after the same migrations compare equal" ps schema --tenant s1 --compare s2
like "$TAP_OUT" "no differences" "zero false differences between schema tenants"
check_exit 0 "snapshot of the database tenant" ps schema --tenant app --json
first=$(printf '%s' "$TAP_OUT" | jq -c '.tenants[0].objects')
check_exit 0 "and again" ps schema --tenant app --json
is "$(printf '%s' "$TAP_OUT" | jq -c '.tenants[0].objects')" "$first" "database snapshot stable"
is "$(printf '%s' "$first" | jq -r '[.[] | select(.schema == "pgstep")] | length')" 0 \
	"pgstep's own state schema is not the tenant's"
dump_check app

conf_tenant unmigrated fx unmigrated
check_exit 0 "a schema tenant not migrated yet" ps schema --tenant unmigrated
like "$TAP_OUT" "^\(schema unmigrated does not exist\)" "says its schema does not exist"

# --- usage -------------------------------------------------------------
check_exit 2 "--compare an unknown tenant" ps schema --tenant acme --compare nobody
like "$TAP_OUT" "no such tenant" "says so"
done_testing
