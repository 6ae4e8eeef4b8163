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
q app "CREATE SCHEMA acme" >/dev/null

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
check "acme has 1 pending" wait_for 'acme .*1 pending' 20

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

keys q
check "q quits" wait_exit 0 10
done_testing
