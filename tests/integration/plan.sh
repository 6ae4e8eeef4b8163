#!/bin/sh
# pgstep plan on a real server: the sample set applied through phase 1 with
# the demo rows, then: sizes and rows on each lock, an empty table's rewrite
# as info, a blocking session with its pid, an INVALID index left by a
# cancelled CREATE INDEX CONCURRENTLY, and --preflight finding orphans (012),
# NULLs (021), unmapped enum values (013, 014 and an ALTER TYPE ... USING),
# duplicates for a new unique index and a CHECK violation, each with its
# query, without writing anything. Then the offline analysis of an
# unreachable tenant, --fail-on and the exit codes.
. "$TOP_SRCDIR/tests/lib/tap.sh"
# What pgstep says is checked line by line here; its layout at 80 columns
# (wrapped lines) is cli_text.sh's. One message, one line:
COLUMNS=1000
export COLUMNS
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
# "Nothing is written" is checked with the next transaction id, which any
# write anywhere in the cluster advances; autovacuum's ANALYZE would too.
q postgres "ALTER SYSTEM SET autovacuum = off" >/dev/null
q postgres "SELECT pg_reload_conf()" >/dev/null
pg_createdb app
project_new
conf_tenant acme app acme
conf_tenant bare app bare

# A migration of this test only, after the sample set: a unique index, a
# CHECK and an in-place enum conversion (the way archive/902 did it).
cat >"$P/migrations/phase-3-hardening/026_plan_checks.sql" <<'SQL'
-- pgstep:note Test only: preflight checks that the sample set does not have.
-- migrate:up
CREATE UNIQUE INDEX users_display_name_key ON users (display_name);
ALTER TABLE users ADD CONSTRAINT users_display_name_check CHECK (length(display_name) >= 2);
CREATE TYPE api_key_kind AS ENUM ('user', 'admin', 'agent', 'service');
ALTER TABLE api_keys ALTER COLUMN key_type DROP DEFAULT;
ALTER TABLE api_keys ALTER COLUMN key_type TYPE api_key_kind USING key_type::api_key_kind;

-- migrate:down
ALTER TABLE api_keys ALTER COLUMN key_type TYPE text;
DROP TYPE api_key_kind;
ALTER TABLE users DROP CONSTRAINT users_display_name_check;
DROP INDEX users_display_name_key;
SQL

rows() {
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d app -c "SET search_path TO $1, public" \
		-f "$TOP_SRCDIR/src/engine/demo-rows/$2.sql" >/dev/null 2>&1
}

check "acme: phase 0 applied" ps up --tenant acme --to 7 --yes
check "acme: the foundation's demo rows" rows acme 007
check "acme: up to 011 applied" ps up --tenant acme --to 11 --yes
check "acme: the control plane's demo rows" rows acme 012
check "bare: up to 011 applied, no rows" ps up --tenant bare --to 11 --yes
q app "ANALYZE" >/dev/null

# Rows that make the migrations fail or change data.
q app "INSERT INTO acme.tool_calls (run_id, tool_name, provider, connector_installation_id)
       SELECT id, 'orphan', 'connector', '00000000-0000-0000-0000-0000000000aa' FROM acme.runs LIMIT 1" >/dev/null
NULL_RUN=$(q app "UPDATE acme.runs SET workflow_version_id = NULL
                  WHERE id = (SELECT min(id::text)::uuid FROM acme.runs) RETURNING id")
q app "INSERT INTO acme.users (tenant_id, email, display_name)
       SELECT tenant_id, 'twin@example.com', display_name FROM acme.users WHERE display_name = 'User 7'" >/dev/null
q app "INSERT INTO acme.users (tenant_id, email, display_name)
       SELECT tenant_id, 'x@example.com', 'X' FROM acme.users LIMIT 1" >/dev/null

# ---- sizes and rows ----------------------------------------------------------------

check_exit 0 "plan --tenant acme" ps plan --tenant acme
PLAN=$TAP_OUT
like "$PLAN" '^acme: 15 to apply' "012 to 026 are pending"
like "$PLAN" 'ShareRowExclusiveLock on acme\.tool_calls \(about 2[0-9]{4} rows, [0-9.]+ (kB|MB)\)' \
	"012's lock on tool_calls shows its rows and size"
like "$PLAN" 'warn add-fk-without-not-valid: .*\(acme\.tool_calls: about 2[0-9]{4} rows' \
	"the finding on a populated table is a warning that says how big it is"
like "$PLAN" 'safer: ADD CONSTRAINT \.\.\. FOREIGN KEY \.\.\. NOT VALID' "with the safer alternative"
like "$PLAN" 'warn alter-column-type-rewrite: changing acme\.metering_events\.quantity from integer to bigint' \
	"022 rewrites a populated table: warn"

check_exit 0 "plan --tenant bare (the same migrations on empty tables)" ps plan --tenant bare
like "$TAP_OUT" 'AccessExclusiveLock on bare\.metering_events \(empty' "bare's tables are empty"
like "$TAP_OUT" 'info alter-column-type-rewrite: .*\(bare\.metering_events is empty: no cost now\)' \
	"rewriting an empty table is info"

# Rows added since the last ANALYZE: the statistics say empty, the table is
# not; the estimate is unknown rather than wrong.
q app "INSERT INTO bare.audit_events (workspace_id, actor_type, action, source, event_hash)
       SELECT gen_random_uuid(), 'user', 'run.started', 'api', sha256(g::text::bytea)
         FROM generate_series(1, 200) g" >/dev/null
check_exit 0 "plan --tenant bare after rows arrived unanalysed" ps plan --tenant bare
like "$TAP_OUT" 'ShareUpdateExclusiveLock on bare\.audit_events \([0-9]+ kB, rows unknown \(not analyzed since it grew\)\)' \
	"a table that grew since ANALYZE has its size and no row guess"

check_exit 0 "plan --json" ps plan --tenant acme --json
JSON=$TAP_OUT
like "$JSON" '^\{"tenants":\[\{"name":"acme","error":null,"connected":true,' "JSON: one object per tenant"
like "$JSON" '"statements":\[\{"line":5,"kind":"alter table","sql":"ALTER TABLE tool_calls[^"]*","explain":"[^"]*","locks":\[\{"relation":"acme\.tool_calls","mode":"ShareRowExclusiveLock"\}' \
	"JSON: statements in lint's shape"
like "$JSON" '"facts":\[\{"relation":"acme\.tool_calls","mode":"ShareRowExclusiveLock","new":false,"exists":true,"rows":2[0-9]{4},"bytes":[0-9]+,"sessions":\[\],"invalid_indexes":\[\]\}' \
	"JSON: facts per lock with rows and bytes"

# ---- live facts ----------------------------------------------------------------------

# A session that read runs and stays idle in its transaction (REPEATABLE
# READ, so it also holds a snapshot), as an application with a leaked
# transaction would.
BLOCKER_OUT=$PG_TEST_DIR/blocker.out
mkfifo "$PG_TEST_DIR/blocker.in"
"$PG_BINDIR/psql" -X -At -d app <"$PG_TEST_DIR/blocker.in" >"$BLOCKER_OUT" 2>&1 &
BLOCKER=$!
exec 3>"$PG_TEST_DIR/blocker.in"
cleanup() {
	exec 3>&-
	kill "$BLOCKER" 2>/dev/null
	pg_stop
}
trap cleanup EXIT
trap 'cleanup; exit 129' HUP
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ;" "SELECT count(*) FROM acme.runs;" \
	"SELECT 'pid=' || pg_backend_pid();" >&3
i=0
while ! grep -q '^pid=' "$BLOCKER_OUT" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
BPID=$(sed -n 's/^pid=//p' "$BLOCKER_OUT")
like "$BPID" '^[0-9]+$' "a blocking session is idle in a transaction"

# A CREATE INDEX CONCURRENTLY waits for that snapshot and is cancelled by
# its statement_timeout: the index stays behind, INVALID. It has the name
# 024 builds with IF NOT EXISTS, which would then silently skip it.
"$PG_BINDIR/psql" -X -q -d app -c "SET statement_timeout = '1s'" \
	-c "CREATE INDEX CONCURRENTLY audit_events_workspace_created_idx ON acme.audit_events (workspace_id, created_at)" \
	>/dev/null 2>&1
is "$(q app "SELECT indisvalid FROM pg_index WHERE indexrelid = 'acme.audit_events_workspace_created_idx'::regclass")" f \
	"the cancelled build left an INVALID index"

check_exit 0 "plan with a blocker and an INVALID index" ps plan --tenant acme
PLAN=$TAP_OUT
like "$PLAN" "blocked by pid $BPID \\(postgres, psql\\): holds AccessShareLock, idle in transaction for [0-9]+s: SELECT 'pid=' \\|\\| pg_backend_pid\\(\\);" \
	"021's ACCESS EXCLUSIVE lock on runs names the blocking session with its pid"
like "$PLAN" "sessions in a transaction for over 60 s or idle in one.*" "the long-running and idle sessions are listed"
like "$PLAN" "    pid $BPID \\(postgres, psql\\): idle in transaction for" "with the blocker"
like "$PLAN" 'INVALID index acme\.audit_events_workspace_created_idx: left by a failed or cancelled CREATE INDEX CONCURRENTLY' \
	"the INVALID index is reported on the table 024 indexes"
check_exit 0 "plan --json with the blocker" ps plan --tenant acme --json
like "$TAP_OUT" "\"relation\":\"acme\\.runs\",\"mode\":\"AccessExclusiveLock\",[^]]*\"sessions\":\\[\\{\"pid\":$BPID,\"user\":\"postgres\",\"application\":\"psql\",[^}]*\"mode\":\"AccessShareLock\",\"granted\":true,\"blocks\":true" \
	"JSON: the blocker in the facts of runs, holding a conflicting lock"
like "$TAP_OUT" "\"long_running\":\\[\\{\"pid\":$BPID," "JSON: and among the long-running sessions"
like "$TAP_OUT" '"invalid_indexes":\[\{"name":"acme\.audit_events_workspace_created_idx","definition":"CREATE INDEX audit_events_workspace_created_idx ON acme\.audit_events USING btree \(workspace_id, created_at\)","building":false\}\]' \
	"JSON: the INVALID index with its definition"
exec 3>&-
wait "$BLOCKER"

# A session holding ACCESS EXCLUSIVE: sizes need a lock, so that one is
# unknown after lock_timeout, but the plan goes on and names the holder.
mkfifo "$PG_TEST_DIR/locker.in"
"$PG_BINDIR/psql" -X -At -d app <"$PG_TEST_DIR/locker.in" >"$PG_TEST_DIR/locker.out" 2>&1 &
BLOCKER=$!
exec 3>"$PG_TEST_DIR/locker.in"
printf '%s\n' "BEGIN;" "LOCK TABLE acme.role_agents IN ACCESS EXCLUSIVE MODE;" \
	"SELECT 'pid=' || pg_backend_pid();" >&3
i=0
while ! grep -q '^pid=' "$PG_TEST_DIR/locker.out" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
LPID=$(sed -n 's/^pid=//p' "$PG_TEST_DIR/locker.out")
check_exit 0 "plan while a table is locked ACCESS EXCLUSIVE" ps plan --tenant acme
like "$TAP_OUT" "AccessExclusiveLock on acme\\.role_agents \\(about 300 rows, size unknown\\)" \
	"its size is unknown, its row estimate still shown"
like "$TAP_OUT" "blocked by pid $LPID \\(postgres, psql\\): holds AccessExclusiveLock" "the holder is named"
is "$(printf '%s\n' "$TAP_OUT" | grep -c 'some facts are missing')" 0 "a lock timeout is not a missing fact"
exec 3>&-
wait "$BLOCKER"

# ---- preflight -----------------------------------------------------------------------

sums() {
	q app "SELECT pg_snapshot_xmax(pg_current_snapshot())::text,
	              (SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM acme.runs t),
	              (SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM acme.role_agents t),
	              (SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM acme.billing_transactions t)"
}
BEFORE=$(sums)
check_exit 0 "plan --preflight" ps plan --tenant acme --preflight
PRE=$TAP_OUT
AFTER=$(sums)
is "$AFTER" "$BEFORE" "preflight wrote nothing: no transaction id was taken, the tables are unchanged"

like "$PRE" 'fk-orphans  foreign key tool_calls_connector_installation_id_fkey: rows of acme\.tool_calls whose \(connector_installation_id\) has no row in acme\.connector_installations \(id\)' \
	"012: an orphan check for the new foreign key"
like "$PRE" '=> error: 1 row \(the migration fails\); e\.g\. 00000000-0000-0000-0000-0000000000aa' \
	"012: the orphan row is found, with its key"
like "$PRE" 'nulls  acme\.runs\.workflow_version_id becomes NOT NULL: rows where it is NULL' "021: a NULL check"
like "$PRE" "=> error: 1 row \\(the migration fails\\); e\\.g\\. $NULL_RUN" "021: the run with a NULL version, by its id"
like "$PRE" 'case-else  UPDATE billing_transactions SET status_new = CASE: values of acme\.billing_transactions that no WHEN matches are set to .pending.::billing_tx_status' \
	"013: the CASE ... ELSE mapping is checked"
like "$PRE" '=> warn: 500 rows \(silently changed\); e\.g\. settled \(500 rows\)' "013: 'settled' would silently become 'pending'"
like "$PRE" '=> warn: 100 rows \(silently changed\); e\.g\. ACTIVE \(50 rows\), paused \(50 rows\)' \
	"014: 'ACTIVE' and 'paused' would silently become 'active'"
like "$PRE" '=> error: 2 rows \(the migration fails\); e\.g\. User 7 \(2 rows\)' "026: duplicates for the new unique index"
like "$PRE" 'check  CHECK users_display_name_check on acme\.users: rows where \(length\(display_name\) >= 2\) is false' \
	"026: a check for the new CHECK"
like "$PRE" '=> error: 1 row \(the migration fails\); e\.g\. X$' "026: the row violating it"
like "$PRE" 'approximate: 017_default_boundary_contracts line 21 changes the rows of acme\.project_files' \
	"020: validating 016's foreign key notes that 017 changes rows first"
like "$PRE" 'enum-unmapped  acme\.api_keys\.key_type becomes enum acme\.api_key_kind: values that are not one of its 4 labels' \
	"026: ALTER TYPE enum USING, labels from the CREATE TYPE in the file"
like "$PRE" '=> error: 4 rows \(the migration fails\); e\.g\. gateway \(4 rows\)' "026: 'gateway' is not a label"
like "$PRE" 'skipped: acme\.project_files\.representation_type is added or renamed earlier in the plan' \
	"020: a CHECK on a column 016 adds cannot be checked yet, and says so"

# Every check that ran shows its query, word for word.
check_exit 0 "plan --preflight --json" ps plan --tenant acme --preflight --json
PJSON=$TAP_OUT
NQ=$(printf '%s' "$PJSON" | grep -o '"query":"SELECT [^"]*' | wc -l)
NRUN=$(printf '%s' "$PJSON" | grep -o '"status":"\(ok\|found\)"' | wc -l)
is "$NQ" "$NRUN" "JSON: each check that ran has its query ($NRUN)"
missing=0
printf '%s' "$PJSON" | grep -o '"query":"SELECT [^"]*' | sed 's/^"query":"//' >"$PG_TEST_DIR/queries"
while IFS= read -r query; do
	query=$(printf '%s' "$query" | sed 's/\\"/"/g')
	printf '%s\n' "$PRE" | grep -qF -- "$query" || missing=$((missing + 1))
done <"$PG_TEST_DIR/queries"
is "$missing" 0 "the text shows each of those queries"
like "$PJSON" '"check":"fk-orphans","relation":"acme\.tool_calls",[^}]*"status":"found","count":1,"samples":\[\{"value":"00000000-0000-0000-0000-0000000000aa","rows":1\}\]' \
	"JSON: a check's status, count and samples"

# ---- offline and exit codes ------------------------------------------------------------

conf_add "[tenant ghost]" "conninfo = host=127.0.0.1 port=1 dbname=app user=postgres connect_timeout=2" "schema = ghost"
check_exit 5 "an unreachable tenant exits 5" ps plan --tenant ghost --preflight
like "$TAP_OUT" '^ghost: unreachable \(' "it says so"
like "$TAP_OUT" 'offline analysis of every migration in the set' "and that the analysis is offline"
like "$TAP_OUT" 'warn add-fk-without-not-valid: foreign key tool_calls_connector_installation_id_fkey' \
	"the offline findings are shown"
like "$TAP_OUT" '=> skipped: ghost\.tool_calls is created by a migration earlier in this plan' \
	"preflight cannot check tables the plan creates, and says so"
check_exit 5 "with reachable tenants too, the exit is 5" ps plan --all
like "$TAP_OUT" '^acme: 15 to apply' "the reachable tenants are planned"

check_exit 1 "--fail-on warn fails on warnings" ps plan --tenant acme --fail-on warn
check_exit 0 "--fail-on error does not" ps plan --tenant acme --fail-on error
check_exit 1 "--preflight --fail-on error fails on a found orphan" ps plan --tenant acme --preflight --fail-on error
check_exit 2 "a bad --fail-on is a usage error" ps plan --tenant acme --fail-on maybe
is "$(q app "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgstep'")" 0 "no pgstep session is left"

# ---- fk-missing-index on a table that existed before: a catalogue question -------------

pg_createdb fkdb
q fkdb "CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY, parent_id int)" >/dev/null
FK=$(mktemp -d "${TMPDIR:-/tmp}/pgstep-fk.XXXXXX")
mkdir "$FK/migrations"
printf -- '-- migrate:up\nALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;\n-- migrate:down\nALTER TABLE child DROP CONSTRAINT child_parent_fk;\n' \
	>"$FK/migrations/001_fk.sql"
printf '[migrations]\ndir = migrations\n[tenant fk]\nconninfo = host=%s port=%s dbname=fkdb user=postgres\n' \
	"$PGHOST" "$PGPORT" >"$FK/pgstep.conf"
check_exit 0 "plan of a foreign key on an existing table" sh -c "cd '$FK' && '$PGSTEP' plan --tenant fk"
like "$TAP_OUT" 'fk-missing-index: foreign key child_parent_fk on public\.child\(parent_id\) has no index' \
	"connected: the missing index on the referencing column is found in the catalogue"
check_exit 0 "lint of the same file (offline)" sh -c "cd '$FK' && '$PGSTEP' lint --verbose migrations"
case $TAP_OUT in *fk-missing-index*) fail "offline, the rule stays silent: it cannot know the indexes" ;;
*) pass "offline, the rule stays silent: it cannot know the indexes" ;; esac
q fkdb "CREATE INDEX child_parent_idx ON child (parent_id)" >/dev/null
check_exit 0 "plan again once the index exists" sh -c "cd '$FK' && '$PGSTEP' plan --tenant fk"
case $TAP_OUT in *fk-missing-index*) fail "an existing index starting with the column satisfies the rule" ;;
*) pass "an existing index starting with the column satisfies the rule" ;; esac
rm -rf "$FK"

# A plan on a fresh database (issue 11): what an earlier migration of the
# plan creates is new and empty in the later ones, said once, not a warning
# per statement on it.
pg_createdb freshdb
FR=$(mktemp -d "${TMPDIR:-/tmp}/pgstep-fresh.XXXXXX")
cp -R "$TOP_SRCDIR/migrations" "$FR/migrations"
printf '[migrations]\ndir = migrations\n[tenant fresh]\nconninfo = host=%s port=%s dbname=freshdb user=postgres\n' \
	"$PGHOST" "$PGPORT" >"$FR/pgstep.conf"
check_exit 0 "plan of the whole set on a fresh database" sh -c "cd '$FR' && '$PGSTEP' plan --tenant fresh"
like "$TAP_OUT" '[0-9]+ relations created by earlier migrations of this plan are new and empty' \
	"fresh: said once, at the top"
like "$TAP_OUT" 'on public\.tenants \(created earlier in this plan\)' \
	"fresh: a lock on a table of an earlier migration says so"
case $TAP_OUT in *" warn "*) fail "fresh: no warning about tables the plan itself creates" ;;
*) pass "fresh: no warning about tables the plan itself creates" ;; esac
check_exit 0 "plan --json on the fresh database" sh -c "cd '$FR' && '$PGSTEP' plan --tenant fresh --json"
like "$TAP_OUT" '"new_in_plan":\["public\.[a-z_]+"' "fresh --json: new_in_plan lists them"
rm -rf "$FR"

done_testing
