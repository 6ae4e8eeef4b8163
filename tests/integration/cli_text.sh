#!/bin/sh
# The command line's text at 80 columns (no terminal, no COLUMNS): every
# line of plan, history, verify and lint on the sample set fits in 80
# display columns (wc -L, not bytes), long text is wrapped and not cut (a
# long finding appears whole once its lines are joined), lint ends with a
# summary and never prints "migrations//", history shows events in words
# and local time instead of JSON, a size reads the same in a lock line and
# in its finding, and verify --json names tenant, version, kind and both
# checksums.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
unset COLUMNS
NO_COLOR=1
export NO_COLOR
pg_start
pg_createdb app
project_new
conf_tenant acme app acme

rows() {
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d app -c "SET search_path TO $1, public" \
		-f "$TOP_SRCDIR/src/engine/demo-rows/$2.sql" >/dev/null 2>&1
}

check "acme: phase 0 applied" ps up --tenant acme --to 7 --yes
check "acme: the foundation's demo rows" rows acme 007
check "acme: up to 011 applied" ps up --tenant acme --to 11 --yes
check "acme: the control plane's demo rows" rows acme 012
q app "ANALYZE" >/dev/null

# widest TEXT: the display width of its longest line.
widest() {
	printf '%s\n' "$1" | LC_ALL=C.UTF-8 wc -L
}
# fits NAME TEXT: every line within 80 columns.
fits() {
	w=$(widest "$2")
	if [ "$w" -le 80 ]; then
		pass "$1: every line fits in 80 columns (widest $w)"
	else
		fail "$1: every line fits in 80 columns (widest $w)"
		printf '%s\n' "$2" | LC_ALL=C.UTF-8 awk 'length($0) > 80' | head -5 | sed 's/^/# /'
	fi
}
# joined TEXT: the lines joined, blanks squeezed: wrapped text reads as one.
joined() {
	printf '%s\n' "$1" | tr '\n' ' ' | tr -s ' '
}

# --- plan -----------------------------------------------------------------------
check "plan --tenant acme" ps plan --tenant acme
PLAN=$TAP_OUT
fits "plan" "$PLAN"
like "$(joined "$PLAN")" 'safer: CREATE INDEX CONCURRENTLY in its own non-transactional migration \(SHARE UPDATE EXCLUSIVE, writes continue\)\. On a partitioned table: CREATE INDEX \.\.\. ON ONLY parent, CREATE INDEX CONCURRENTLY on each partition, then ALTER INDEX \.\.\. ATTACH PARTITION\.' \
	"plan: a long safer alternative is all there, wrapped"
like "$PLAN" '^      warn set-not-null-scan: ' "plan: a finding starts its own line"
like "$PLAN" '^          [a-z]' "plan: its continuation is indented under it"
# The size in a lock line and in the finding on the same table read the same.
lock_size=$(printf '%s\n' "$PLAN" | sed -n 's/.*AccessExclusiveLock on acme\.metering_events (about [0-9]* rows, \([0-9.]* [kMG]B\)).*/\1/p' | head -1)
like "$(joined "$PLAN")" "\(acme\.metering_events: about [0-9]+ rows, $lock_size\)" \
	"plan: the finding gives the size the lock line gives ($lock_size), not whole MB"
mig_cols=$(printf '%s\n' "$PLAN" | awk '/^  [0-9][0-9][0-9]_[a-z_0-9]+ +[0-9]+ stmt / { print index($0, " stmt ") }' | sort -u | wc -l)
is "$mig_cols" 1 "plan: the migrations' counts line up in one column"

# --- lint -----------------------------------------------------------------------
check_exit 0 "lint migrations/ (a trailing slash)" ps lint migrations/
LINT=$TAP_OUT
fits "lint" "$LINT"
case $LINT in
*migrations//*) fail "lint: no double slash in paths" ;;
*) pass "lint: no double slash in paths" ;;
esac
like "$LINT" '^migrations/phase-1-control-plane/011_api_keys_key_type\.sql:[0-9]+:[0-9]+: warn' "lint: the path as given, once"
like "$(printf '%s\n' "$LINT" | tail -1)" '^[0-9]+ errors?, [0-9]+ warnings? in [0-9]+ of [0-9]+ files' \
	"lint: the last line is a summary"
like "$(joined "$LINT")" 'drop-index-non-concurrent: DROP INDEX public\.tool_calls_provider_created_idx locks its table ACCESS EXCLUSIVE: every query on it queues while it waits; use DROP INDEX CONCURRENTLY' \
	"lint: a long finding is all there, wrapped"

# --- history --------------------------------------------------------------------
check "history --tenant acme" ps history --tenant acme
HIST=$TAP_OUT
fits "history" "$HIST"
case $HIST in
*'{"'* | *'\"'*) fail "history: no JSON in the text" ;;
*) pass "history: no JSON in the text" ;;
esac
like "$HIST" '^ +1  [0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}  apply +1 +tenancy: 10/10 statements, [0-9]+ ms$' \
	"history: one event, its local time to the second, in words"
# Local time: the stored UTC time shown in the TZ asked for.
utc=$(q app "SELECT to_char(at AT TIME ZONE 'UTC', 'MM-DD HH24:MI') FROM pgstep.events WHERE tenant = 'acme' AND seq = 1")
tokyo=$(q app "SELECT to_char(at AT TIME ZONE 'Asia/Tokyo', 'MM-DD HH24:MI') FROM pgstep.events WHERE tenant = 'acme' AND seq = 1")
check "history under TZ=Asia/Tokyo" env TZ=Asia/Tokyo sh -c "cd '$P' && '$PGSTEP' history --tenant acme"
like "$TAP_OUT" "^ +1  $tokyo:[0-9]{2}  apply" "history: the time is local ($tokyo in Tokyo, $utc UTC)"

# --- verify ---------------------------------------------------------------------
f=$(ls "$P"/migrations/phase-0-foundation/002_*.sql)
# The checksum covers the up section: edit inside it.
sed -i 's/^-- migrate:up.*/&\nCOMMENT ON SCHEMA public IS NULL;/' "$f"
check_exit 3 "verify finds the edited file" ps verify
VER=$TAP_OUT
fits "verify" "$VER"
like "$VER" '^problem: tenant acme: 002_identity changed since it was applied' "verify: the problem first"
like "$VER" '^    file: .*002_identity\.sql$' "verify: the file on its own line"
like "$VER" '^1 problem found$' "verify: a count at the end"
check_exit 3 "verify --json" ps --json verify
like "$TAP_OUT" '"problems":\[\{"tenant":"acme","kind":"checksum","version":"002","expected_checksum":"[0-9a-f]{64}","found_checksum":"[0-9a-f]{64}",' \
	"verify --json: tenant, kind, version, expected and found checksums"

done_testing
