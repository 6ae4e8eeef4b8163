# step.sh: what the tests of the interface's step runner share: a folder
# for the scenarios, a cleanup that ends the blocking session, tmux and the
# server, a project per scenario, checks on what a second session sees, and
# a psql session holding locks in an open transaction. Source it after
# tui.sh, pg.sh and project.sh, and call step_begin NAME after pg_start.

# step_begin NAME: $BASE, and the traps (pg_start replaced tui.sh's).
step_begin() {
	BASE=$(mktemp -d "${TMPDIR:-/tmp}/pgstep-$1.XXXXXX") || exit 99
	BLOCKER=
	trap step_cleanup EXIT
	trap 'exit 1' HUP INT TERM PIPE
}
# Stop the blocking session and tmux (pgstep rolls back what it has open),
# then the server.
step_cleanup() {
	exec 3>&-
	[ -n "$BLOCKER" ] && kill "$BLOCKER" 2>/dev/null
	tui_cleanup
	pg_stop
	rm -rf "$BASE"
}

# scenario NAME: a database NAME and a project $P with no migrations, where
# lock waits are short (1 s, 2 retries); the interface's tmux session is NAME.
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

# db_is DESC WANT DB SQL: a check on what a second session sees; on
# failure the query and both answers are shown (in place of the screen).
db_is() {
	got=$(q "$3" "$4")
	printf '%s\n' "query: $4" "got:  $got" "want: $2" >"$T/screen"
	check "$1" test "$got" = "$2"
}
state_of() { # state_of TENANT VERSION
	echo "SELECT coalesce((SELECT state FROM pgstep.migrations WHERE tenant = '$1' AND ltrim(version, '0') = '$2'), 'none')"
}

# blocker_start DB SQL...: a psql session (application_name $BLOCKER_APP,
# "reporting" by default) that runs SQL in an open transaction and stays
# there, its input on fd 3; BPID is its pid. Start it after tmux, which must
# not hold its input open.
blocker_start() {
	db=$1
	shift
	rm -f "$BASE/blocker.in" "$BASE/blocker.out"
	mkfifo "$BASE/blocker.in"
	"$PG_BINDIR/psql" -X -At -d "$db" <"$BASE/blocker.in" >"$BASE/blocker.out" 2>&1 &
	BLOCKER=$!
	exec 3>"$BASE/blocker.in"
	printf '%s\n' "SET application_name = ${BLOCKER_APP:-reporting};" "BEGIN;" "$@" \
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
