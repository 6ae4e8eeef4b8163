#!/bin/sh
# tui_safety.sh: what the DBA sees before and while pgstep holds locks
# (issue 11, section 1): x after the last statement does not commit; s on a
# later migration shows the plan first; the confirmation names a session
# holding a lock on every relation the statement locks, not only the first.
# Each scenario has its own project, database and interface.
. "$TOP_SRCDIR/tests/lib/tui.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
BASE=$(mktemp -d "${TMPDIR:-/tmp}/pgstep-safety.XXXXXX") || exit 99
BLOCKER=
safety_cleanup() {
	exec 3>&-
	[ -n "$BLOCKER" ] && kill "$BLOCKER" 2>/dev/null
	tui_cleanup
	pg_stop
	rm -rf "$BASE"
}
trap safety_cleanup EXIT
trap 'exit 1' HUP INT TERM PIPE

# scenario NAME: a database NAME and a project $P with no migrations; the
# interface's tmux session is NAME.
scenario() {
	S=$1
	P=$BASE/$1
	mkdir -p "$P/migrations"
	pg_createdb "$1"
	cat >"$P/pgstep.conf" <<CONF
[migrations]
dir = migrations
[defaults]
lock_timeout = 1s
lock_retries = 2
retry_backoff = 300ms
CONF
}
db_is() { # db_is DESC WANT DB SQL
	got=$(q "$3" "$4")
	printf '%s\n' "query: $4" "got:  $got" "want: $2" >"$T/screen"
	check "$1" test "$got" = "$2"
}
state_of() { # state_of TENANT VERSION
	echo "SELECT coalesce((SELECT state FROM pgstep.migrations WHERE tenant = '$1' AND ltrim(version, '0') = '$2'), 'none')"
}
# blocker_start DB SQL...: a psql session that runs SQL in an open
# transaction and stays there; BPID is its pid.
blocker_start() {
	db=$1
	shift
	rm -f "$BASE/blocker.in" "$BASE/blocker.out"
	mkfifo "$BASE/blocker.in"
	"$PG_BINDIR/psql" -X -At -d "$db" -v application_name=reporting \
		<"$BASE/blocker.in" >"$BASE/blocker.out" 2>&1 &
	BLOCKER=$!
	exec 3>"$BASE/blocker.in"
	printf '%s\n' "SET application_name = reporting;" "BEGIN;" "$@" \
		"SELECT 'blocker pid ' || pg_backend_pid();" >&3
	i=0
	while ! grep -q '^blocker pid ' "$BASE/blocker.out" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	BPID=$(sed -n 's/^blocker pid //p' "$BASE/blocker.out")
}
blocker_stop() {
	printf '%s\n' "ROLLBACK;" "\\q" >&3
	exec 3>&-
	wait "$BLOCKER" 2>/dev/null
	BLOCKER=
}

# --- 1. s on a later migration shows the plan; x after the last statement does not commit ---
scenario steps
conf_tenant acme steps acme
q steps "CREATE SCHEMA acme;" >/dev/null
printf '%s\n' '-- migrate:up' 'CREATE TABLE one (id int);' '-- migrate:down' 'DROP TABLE one;' \
	>"$P/migrations/001_one.sql"
printf '%s\n' '-- migrate:up' 'CREATE TABLE two (id int);' '-- migrate:down' 'DROP TABLE two;' \
	>"$P/migrations/002_two.sql"
tui_start 160 45 -c "$P/pgstep.conf"
check "acme has 2 pending" wait_for 'acme .*2 pending' 20
command_line "goto 002"
check "002_two is selected" wait_for '─ 002_two ─'
check "s on 002 shows the plan of both migrations first" \
	run_key s 'Step through 2 migrations to acme\?'
check "the plan lists 001, which s would run first" wait_for ' 1\. 001_one'
check "and 002" wait_for ' 2\. 002_two'
check "Cancel has the focus" wait_for '\[ Cancel \] +Step'
keys Enter
check "Cancel runs nothing" wait_for 'nothing was run'
db_is "001 was not run" none steps "$(state_of acme 1)"
check "s again" run_key s 'Step through 2 migrations to acme\?'
keys Right Enter
check "Step opens 001 in step mode (it still stops before each statement)" \
	wait_for 'Next: statement 1 of 1'
keys x
check "x runs the only statement" wait_for 'All statements of the open transaction ran \(1 of 1\)'
keys x
check "x after the last statement says c commits" wait_for 'all statements ran: c commits'
check "and the run stays open" wait_for 'All statements of the open transaction ran \(1 of 1\)'
db_is "x did not commit: 001 is not applied" none steps "$(state_of acme 1)"
db_is "table one is not visible to another session" "" steps "SELECT to_regclass('acme.one')"
keys c
check "c commits 001 and the step goes on to 002" wait_for 'Run: step on acme, 002_two \(2 of 2\)' 10
check "which waits before its statement" wait_for 'Next: statement 1 of 1'
db_is "001 is applied" applied steps "$(state_of acme 1)"
db_is "002 is not" none steps "$(state_of acme 2)"
keys B
check "B ends the run" wait_for 'Esc closes this view' 10
db_is "002 was not applied" none steps "$(state_of acme 2)"
keys q
check "q exits 0" wait_exit 0 10

done_testing
