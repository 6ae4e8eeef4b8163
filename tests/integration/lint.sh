#!/bin/sh
# pgstep lint through the real binary: the text and JSON formats, exit codes
# (0 clean, 1 error finding or --fail-on, 2 unreadable input), parse errors
# that name line and column without stopping the other files, the migration
# formats (dbmate sections, up/down pairs), the default set, --jobs (threads
# print what one thread prints) and --explain.
# No server is needed.
. "$TOP_SRCDIR/tests/lib/tap.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/pgstep-lint.XXXXXX")
trap 'rm -rf "$W"' EXIT HUP INT TERM
cd "$W" || exit 1
NO_COLOR=1
export NO_COLOR

printf 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n' >safe.sql
printf -- '-- a comment\nALTER TABLE users\n    ALTER COLUMN email SET NOT NULL;\n' >warn.sql
printf 'BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\n' >error.sql
printf 'SELECT 1;\nALTER TABLE users ADD COLUMN;\n' >broken.sql

check_exit 0 "a safe file exits 0" "$PGSTEP" lint safe.sql
is "$TAP_OUT" "" "and prints nothing"

check_exit 0 "warnings alone exit 0" "$PGSTEP" lint warn.sql
like "$TAP_OUT" '^warn\.sql:2:13: warn set-not-null-scan: SET NOT NULL on public\.users\.email ' \
	"a finding is file:line:col: severity rule: message"
check_exit 1 "--fail-on warn makes warnings fail" "$PGSTEP" lint --fail-on warn warn.sql

check_exit 1 "an error finding exits 1" "$PGSTEP" lint error.sql
like "$TAP_OUT" '^error\.sql:2:1: error non-transactional-in-transaction: ' "names the rule"

check_exit 1 "a file that does not parse exits 1" "$PGSTEP" lint broken.sql warn.sql
like "$TAP_OUT" '^broken\.sql:2:29: error: syntax error' "the parser's message with line and column"
like "$TAP_OUT" '^warn\.sql:2:13: warn set-not-null-scan' "the other files are still analysed"

check_exit 2 "unreadable input exits 2" "$PGSTEP" lint missing.sql warn.sql
like "$TAP_OUT" 'missing\.sql' "names the file"
like "$TAP_OUT" 'warn\.sql:2:13' "and still lints the others"
printf 'SELECT \377;\n' >latin1.sql
check_exit 2 "invalid UTF-8 exits 2" "$PGSTEP" lint latin1.sql

check_exit 1 "--json keeps the exit code" "$PGSTEP" --json lint warn.sql error.sql
JSON=$TAP_OUT
like "$JSON" '^\{"files":\[\{"file":"warn\.sql","statements":\[\{"line":2,"kind":"alter table",' \
	"JSON: files, statements, line and kind"
like "$JSON" '"locks":\[\{"relation":"public\.users","mode":"AccessExclusiveLock"\}\],"rewrite":false,"scan":true,' \
	"JSON: locks named as pg_locks names them, rewrite and scan"
like "$JSON" '"findings":\[\{"rule":"set-not-null-scan","severity":"warn","message":"[^"]+","alternative":"[^"]+"\}' \
	"JSON: findings with rule, severity, message and alternative"
like "$JSON" '"explain":"Makes public\.users\.email NOT NULL' "JSON: the plain-language sentence"
if command -v python3 >/dev/null 2>&1; then
	check "the JSON parses" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$JSON"
fi

# --- allow directives ---------------------------------------------------------
printf -- '-- pgstep:allow set-not-null-scan reason: table has 12 rows\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n' >allowed.sql
check_exit 0 "an allowed finding is silent" "$PGSTEP" lint --fail-on warn allowed.sql
is "$TAP_OUT" "" "nothing printed"
printf -- '-- pgstep:allow set-not-null-scan\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n' >noreason.sql
check_exit 1 "an allow without a reason is an error" "$PGSTEP" lint noreason.sql
like "$TAP_OUT" '^noreason\.sql:1:4: error: pgstep:allow needs a reason' "says what is missing"
printf -- '-- pgstep:allow no-such-rule reason: x\nSELECT 1;\n' >unknown.sql
check_exit 1 "an allow naming an unknown rule is an error" "$PGSTEP" lint unknown.sql
like "$TAP_OUT" 'unknown rule "no-such-rule"' "names the id"

# --- formats --------------------------------------------------------------------
mkdir -p set/archive
cat >set/001_users.sql <<'SQL'
-- migrate:up
CREATE TABLE users (id bigint PRIMARY KEY, email text);
-- migrate:down
DROP TABLE users;
SQL
printf 'ALTER TABLE users ADD COLUMN bio text;\n' >set/002_bio.up.sql
printf 'ALTER TABLE users DROP COLUMN bio;\n' >set/002_bio.down.sql
printf 'DROP TABLE users;\n' >set/archive/000_old.sql
check_exit 0 "a directory is linted file by file" "$PGSTEP" lint set
like "$TAP_OUT" '^set/002_bio\.down\.sql:1:13: warn down-loses-data: ' "the down file of a pair knows what its up added"
case $TAP_OUT in *"set/001_users.sql:4:1: warn down-loses-data"*)
	fail "dropping the table the up created is no warning" ;;
*) pass "dropping the table the up created is no warning" ;; esac
check_exit 0 "lint --verbose of the set" "$PGSTEP" lint --verbose set
like "$TAP_OUT" '^set/001_users\.sql:4:1: info down-loses-data: ' \
	"a dbmate down knows what its up created: dropping that table is info"
case $TAP_OUT in
*archive*) fail "archive/ is skipped" ;;
*) pass "archive/ is skipped" ;;
esac

mkdir -p dflt/migrations
cp warn.sql dflt/migrations/001_warn.sql
check_exit 0 "without arguments, ./migrations is linted" sh -c "cd dflt && \"$PGSTEP\" lint"
like "$TAP_OUT" 'migrations/001_warn\.sql:2:13: warn set-not-null-scan' "its findings are shown"
mkdir -p conf/db
cp error.sql conf/db/001_err.sql
printf '[migrations]\ndir = db\n' >conf/pgstep.conf
check_exit 1 "with pgstep.conf, its migrations directory is linted" sh -c "cd conf && \"$PGSTEP\" lint"
like "$TAP_OUT" 'db/001_err\.sql:2:1: error non-transactional-in-transaction' "from the configured directory"

# --- threads ------------------------------------------------------------------------
# Files are analysed on --jobs threads and printed in order: the output is the
# serial run's, byte for byte, in both formats and with an unreadable file.
corpus="$TOP_SRCDIR/tests/risk/corpus"
for fmt in text json; do
	g=
	[ "$fmt" = json ] && g=--json
	"$PGSTEP" $g lint --verbose --jobs 1 "$corpus" latin1.sql set >serial.$fmt 2>serial.$fmt.err
	echo "exit $?" >>serial.$fmt
	for jobs in 2 3 8 default; do
		j="--jobs $jobs"
		[ "$jobs" = default ] && j=
		"$PGSTEP" $g lint --verbose $j "$corpus" latin1.sql set >par.$fmt 2>par.$fmt.err
		echo "exit $?" >>par.$fmt
		if cmp -s serial.$fmt par.$fmt && cmp -s serial.$fmt.err par.$fmt.err; then
			pass "$fmt: ${j:-the default jobs} prints what --jobs 1 prints"
		else
			fail "$fmt: ${j:-the default jobs} prints what --jobs 1 prints"
			diag "$(diff serial.$fmt par.$fmt | head -20)"
		fi
	done
done
like "$(tail -1 serial.text)" '^exit 2$' "an unreadable file still exits 2 with threads"
is "$(grep -c '' serial.json)" 2 "the JSON is one line (and the exit status)"
check_exit 2 "--jobs 0 is refused" "$PGSTEP" lint --jobs 0 warn.sql
like "$TAP_OUT" '--jobs takes a number from 1 to 64' "says what it takes"
check_exit 2 "--jobs without a number is refused" "$PGSTEP" lint --jobs many warn.sql
check_exit 0 "-j is --jobs" "$PGSTEP" lint -j 2 safe.sql warn.sql

# --- one reading: lint sees the sections the loader sees ------------------------
# dbmate: a "-- migrate:down" line inside a $$ body is text, not a marker;
# lint cut the file with a line scan, reported two parse errors inside the
# body and never saw the real down's DROP TABLE.
mkdir dbm
printf -- '-- migrate:up\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n-- migrate:down\n  RETURN 1;\nEND\n$$;\n\n-- migrate:down\nDROP TABLE users;\n' >dbm/001_fn.sql
check_exit 0 "a marker line inside \$\$ is no marker: no parse error" "$PGSTEP" --json lint dbm/001_fn.sql
like "$TAP_OUT" '"statements":\[\{"line":2,"kind":"create function"' "the function is the up's statement, at line 2"
like "$TAP_OUT" '\{"line":10,"kind":"drop table","sql":"DROP TABLE users"' "the down's DROP TABLE at line 10"
like "$TAP_OUT" '"rule":"drop-table"' "with its finding"
like "$TAP_OUT" '"errors":\[\]' "no errors"
# columns count characters, after a byte-order mark, tabs and multi-byte text
printf '\357\273\277DROP TABLE a; \t/* \303\251 */ DROP TABLE b;\n' >dbm/002_cols.sql
check_exit 0 "a BOM, a tab and 'é' before a statement" "$PGSTEP" lint dbm/002_cols.sql
like "$TAP_OUT" '^dbm/002_cols\.sql:1:1: warn drop-table' "the first at column 1 (the BOM is no character)"
like "$TAP_OUT" 'dbm/002_cols\.sql:1:24: warn drop-table' "the second at column 24 (characters, not bytes)"

# --- a DO block whose PL/pgSQL does not parse -------------------------------------
# libpg_query loses 1 byte there (the sanitizer build suppresses that leak), and
# under ASan a leak report ended the process before the JSON was written.
printf 'DO $$ BEGIN PERFORM 1 +; END $$;\nDROP TABLE a;\n' >bad_do.sql
check_exit 0 "a DO block that does not parse" "$PGSTEP" --json lint bad_do.sql
like "$TAP_OUT" '"rule":"drop-table".*"settings":\{' "the JSON is written whole"
case $TAP_OUT in
*LeakSanitizer* | *Suppressions*) fail "no leak report" ;;
*) pass "no leak report" ;;
esac

# --- explain --------------------------------------------------------------------
check_exit 0 "--explain RULE" "$PGSTEP" lint --explain add-fk-without-not-valid
like "$TAP_OUT" '^add-fk-without-not-valid \(warn\): ' "prints the rule"
like "$TAP_OUT" 'Safer: .*NOT VALID' "with its alternative"
check_exit 0 "--explain alone lists the rules" "$PGSTEP" lint --explain
is "$(printf '%s\n' "$TAP_OUT" | wc -l | tr -d ' ')" 78 "all 78 of them"
check_exit 2 "--explain of an unknown rule exits 2" "$PGSTEP" lint --explain require-timeout-settings
check_exit 2 "a bad --fail-on exits 2" "$PGSTEP" lint --fail-on loud warn.sql

# Reversibility as the loader and plan decide it (issue 11): an up and a
# down pair by version whatever their names, and an empty down file leaves
# the migration irreversible.
mkdir rev
printf 'CREATE TABLE a (id int);\n' >rev/001_add_a.up.sql
printf 'DROP TABLE a;\n' >rev/001_remove_a.down.sql
printf 'CREATE TABLE b (id int);\n' >rev/002_b.up.sql
printf -- '-- nothing to undo\n' >rev/002_b.down.sql
check_exit 0 "lint of pairs with other names and an empty down" env COLUMNS=1000 "$PGSTEP" lint --verbose rev
case $TAP_OUT in *"001_add_a.up.sql:1:1: info irreversible-migration"*)
	fail "a pair with different names is reversible" ;;
*) pass "a pair with different names is reversible" ;; esac
like "$TAP_OUT" 'rev/001_remove_a\.down\.sql:1:1: [a-z]+ down-loses-data: rolling back drops public\.a' \
	"its down is judged against its up"
like "$TAP_OUT" 'rev/002_b\.up\.sql:1:1: info irreversible-migration' "an empty down file is no down"

done_testing
