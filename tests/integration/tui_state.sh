#!/bin/sh
# tui_state.sh: state the interface must show truthfully, driven in tmux
# against a real server: an abandoned down or up says what is true (the
# down leaves the migration applied, the up leaves it pending), the tenant
# badge shows checksum drift, the list refreshes during a multi-migration
# run, `r` re-reads the migration files, and a failed statement can be
# skipped with a typed, recorded reason.
. "$TOP_SRCDIR/tests/lib/tui.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
state_cleanup() {
	tui_cleanup
	pg_stop
}
trap state_cleanup EXIT
trap 'exit 1' HUP INT TERM PIPE

pg_createdb app
project_new "$TOP_SRCDIR/tests/lib"
rm -rf "$P/migrations"
mkdir "$P/migrations"
conf_tenant acme app acme
q app "CREATE SCHEMA acme;
CREATE TABLE acme.items (id int PRIMARY KEY, name text);
INSERT INTO acme.items SELECT g, 'item ' || g FROM generate_series(1, 5000) g;
ANALYZE acme.items;" >/dev/null

cat >"$P/migrations/001_one.sql" <<'SQL'
-- migrate:up
CREATE TABLE one (id int);
-- migrate:down
DROP TABLE one;
SQL
cat >"$P/migrations/002_baddown.sql" <<'SQL'
-- migrate:up
CREATE TABLE two (id int);
-- migrate:down
CREATE TABLE two_note (id int);
INSERT INTO two_missing VALUES (1);
SQL
cat >"$P/migrations/003_three.sql" <<'SQL'
-- migrate:up
CREATE TABLE three (id int);
-- migrate:down
DROP TABLE three;
SQL
cat >"$P/migrations/004_four.sql" <<'SQL'
-- migrate:up
ALTER TABLE items ADD COLUMN flag boolean;
-- migrate:down
ALTER TABLE items DROP COLUMN flag;
SQL

db_is() {
	got=$(q app "$3")
	printf '%s\n' "query: $3" "got:  $got" "want: $2" >"$T/screen"
	check "$1" test "$got" = "$2"
}
state_of() {
	echo "SELECT coalesce((SELECT state FROM pgstep.migrations WHERE tenant = 'acme' AND ltrim(version, '0') = '$1'), 'none')"
}
events_of() {
	echo "SELECT coalesce(string_agg(action, ',' ORDER BY seq), '') FROM pgstep.events WHERE tenant = 'acme' AND ltrim(version, '0') = '$1'"
}

ps up --to 002 --yes >/dev/null 2>&1
tui_start 160 45 -c "$P/pgstep.conf"
check "acme has 2 pending" wait_for 'acme .*2 pending' 20

# --- an abandoned down: nothing was rolled back ------------------------------------
command_line "goto 002"
check "d opens the down of 002" run_key d 'Run: down on acme, 002_baddown \(1 of 1\)'
keys x
wait_for 'Next: statement 2 of 2' >/dev/null
keys x
check "the down's statement 2 fails" wait_for 'Statement 2 failed and was rolled back to its savepoint'
keys B
check "B says the down was abandoned and nothing was rolled back" \
	wait_for '002_baddown on acme: down abandoned on request; nothing was rolled back: it is still applied' 10
check "not as a success" sh -c "! grep -q '✓ 002_baddown on acme' '$T/screen'"
check "but as not done" wait_for '● 002_baddown on acme: down abandoned'
db_is "002 is still applied" applied "$(state_of 2)"
db_is "its table is still there" acme.two "SELECT to_regclass('acme.two')"
keys Escape

# --- an abandoned up: it is not applied --------------------------------------------
command_line "goto 003"
check "s opens 003" run_key s 'Run: step on acme, 003_three \(1 of 1\)'
keys x
wait_for 'All statements of the open transaction ran' >/dev/null
keys B
check "B says the up was rolled back and 003 is not applied" \
	wait_for '003_three on acme: rolled back on request; nothing of its up stays: it is not applied' 10
check "not as a success" sh -c "! grep -q '✓ 003_three on acme' '$T/screen'"
db_is "003 has no row" none "$(state_of 3)"
keys Escape

# --- r re-reads the files; the badge shows checksum drift ----------------------------
sed -i 's/^CREATE TABLE one (id int);/CREATE TABLE one (id int, note text);/' "$P/migrations/001_one.sql"
check "an edited file is not known before r" wait_for '✓ 001_one'
keys r
check "r re-reads the files: 001 shows as changed" wait_for '≠ 001_one' 10
check "the badge shows the drift besides the pending" wait_for 'acme .*● 2 pending ≠ 1 changed' 10

# --- the list and the badge follow a multi-migration run -------------------------------
command_line "goto 004"
check "A asks first" run_key A 'Apply 2 migrations to acme\?'
keys Right Enter
check "004's ALTER waits for its confirmation" wait_for 'Confirm statement 1 on acme'
check "meanwhile the list shows 003 applied" wait_for '^│  ✓ 003_three' 10
check "and the badge one pending" wait_for 'acme .*● 1 pending ≠ 1 changed' 10
keys Right Enter
check "then the run goes to the end" wait_for 'acme: 2 migrations applied' 10
check "the badge: changed, not up to date" wait_for 'acme .*≠ 1 changed' 10
check "never up to date" sh -c "! grep -q 'acme .*up to date' '$T/screen'"
keys Escape

# --- a failed statement skipped with a typed, recorded reason ------------------------
cat >"$P/migrations/005_skip.sql" <<'SQL'
-- migrate:up
CREATE TABLE five (id int);
INSERT INTO five_missing VALUES (1);
CREATE TABLE five_b (id int);
-- migrate:down
DROP TABLE five_b;
DROP TABLE five;
SQL
keys r
check "r reads the new file" wait_for '^│  · 005_skip' 10
command_line "goto 005"
check "s opens 005" run_key s 'Run: step on acme, 005_skip \(1 of 1\)'
keys x
wait_for 'Next: statement 2 of 3' >/dev/null
keys x
check "statement 2 fails" wait_for 'Statement 2 failed and was rolled back to its savepoint'
check "the hint says S skips it" wait_for 'S skips it: the run goes on without it, for a reason you type \(recorded\)'
keys u
check "u gives it up" wait_for 'Next: statement 2 of 3'
keys c
check "c says what is left, and that S skips" wait_for 'statements are left: .*S skips one \(with a reason\)'
keys S
check "S asks for the reason on the command line" wait_for '^:skip$'
type_text "five_missing comes with the app release"
keys Enter
check "the statement is skipped" wait_for 'statement 2 skipped \(recorded with the reason\)'
check "and marked so" wait_for ' ↷  2  line 3 +INSERT INTO five_missing'
check "the run is at statement 3" wait_for 'Next: statement 3 of 3'
keys x
check "then every statement ran, one skipped" \
	wait_for 'All statements of the open transaction ran \(3 of 3, 1 skipped\)'
keys c
check "c commits" wait_for 'acme: 1 migration applied' 10
db_is "005 is applied" applied "$(state_of 5)"
db_is "its tables 1 and 3 exist" "acme.five acme.five_b" \
	"SELECT to_regclass('acme.five') || ' ' || to_regclass('acme.five_b')"
db_is "the skip is an event with the statement and the reason" \
	"2|INSERT INTO five_missing VALUES (1)|five_missing comes with the app release" \
	"SELECT detail::json->>'statement', detail::json->>'sql', detail::json->>'reason' FROM pgstep.events WHERE tenant = 'acme' AND action = 'skip'"
db_is "recorded before the apply" "statement-error,skip,apply" \
	"SELECT string_agg(action, ',' ORDER BY seq) FROM pgstep.events WHERE tenant = 'acme' AND ltrim(version, '0') = '5' AND action IN ('statement-error', 'skip', 'apply')"
keys Escape

keys q
check "q quits" wait_exit 0 10
done_testing
