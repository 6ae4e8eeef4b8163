#!/bin/sh
# crash.sh: helpers for the crash tests (tests/integration/crash.sh and
# crash_cases.sh). Source after tap.sh, pg.sh and project.sh, and call
# crash_trap right after pg_start.
#
#   bg_start OUT ARGS...      pgstep ARGS in $P in the background, stdout and
#                             stderr in OUT.out and OUT.err; BG_PID is its pid
#   bg_alive [PID]            the process runs (a zombie does not)
#   bg_wait SECONDS [PID]     wait for its end; BG_RC its exit status, or
#                             "timeout" after killing it (then false)
#   pgstep_gone SECONDS       no pgstep session is left on the server
#   terminate_pgstep          pg_terminate_backend of every pgstep session;
#                             prints how many
#   pg_restart fast|immediate restart the server (same port and socket)
#   sleep_ms N                sleep N milliseconds
#   probe_setup DB            the probe schema the checks query (below)

CRASH_PIDS=

# Kill the background pgsteps still running (by pid, none other), then the
# server.
crash_cleanup() {
	for p in $CRASH_PIDS; do
		bg_alive "$p" && kill -KILL "$p" 2>/dev/null
	done
	CRASH_PIDS=
	pg_stop
}

crash_trap() {
	trap crash_cleanup EXIT
	trap 'crash_cleanup; exit 129' HUP
	trap 'crash_cleanup; exit 130' INT
	trap 'crash_cleanup; exit 143' TERM
}

sleep_ms() {
	sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"
}

bg_start() {
	_bg_out=$1
	shift
	(cd "$P" && exec "$PGSTEP" "$@") >"$_bg_out.out" 2>"$_bg_out.err" </dev/null &
	BG_PID=$!
	CRASH_PIDS="$CRASH_PIDS $BG_PID"
}

# /proc says Z for a child that ended and was not waited for.
bg_alive() {
	_p=${1:-$BG_PID}
	[ -r "/proc/$_p/stat" ] || return 1
	_st=$(sed 's/.*) \(.\).*/\1/' "/proc/$_p/stat" 2>/dev/null)
	[ -n "$_st" ] && [ "$_st" != Z ]
}

bg_wait() {
	_p=${2:-$BG_PID}
	_end=$(($(now_ms) + $1 * 1000))
	while bg_alive "$_p"; do
		if [ "$(now_ms)" -ge "$_end" ]; then
			kill -KILL "$_p" 2>/dev/null
			wait "$_p" 2>/dev/null
			BG_RC=timeout
			return 1
		fi
		sleep 0.02
	done
	wait "$_p" 2>/dev/null
	BG_RC=$?
	return 0
}

pgstep_gone() {
	wait_sql postgres "$1" "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'pgstep')"
}

terminate_pgstep() {
	q postgres "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pgstep'"
}

# pg_ctl restart keeps the options of the last start (postmaster.opts).
pg_restart() {
	(cd "$PG_TEST_DIR" && pg__run "$PG_BINDIR/pg_ctl" -D "$PG_TEST_DIR/data" \
		-l "$PG_TEST_DIR/log" -w -t 60 -m "$1" restart) >>"$PG_TEST_DIR/setup.log" 2>&1 </dev/null
}

# probe.count(REL, COND): rows of REL where COND, NULL when REL does not
# exist; probe.index(REL): valid, INVALID or absent. Queries that must not
# fail whatever an interruption left.
probe_setup() {
	q "$1" "CREATE SCHEMA IF NOT EXISTS probe;
CREATE OR REPLACE FUNCTION probe.count(rel text, cond text) RETURNS bigint LANGUAGE plpgsql AS \$\$
DECLARE n bigint;
BEGIN
	IF to_regclass(rel) IS NULL THEN
		RETURN NULL;
	END IF;
	EXECUTE format('SELECT count(*) FROM %s WHERE %s', rel, cond) INTO n;
	RETURN n;
END
\$\$;
CREATE OR REPLACE FUNCTION probe.index(rel text) RETURNS text LANGUAGE sql AS \$\$
	SELECT coalesce((SELECT CASE WHEN i.indisvalid THEN 'valid' ELSE 'INVALID' END
		FROM pg_index i WHERE i.indexrelid = to_regclass(rel)), 'absent')
\$\$;" >/dev/null
}
