#!/bin/sh
# pgstep demo: a throwaway cluster with three tenants in three states, usable
# with the printed config, removed on Ctrl-C (kept with --keep); as root (the
# server runs as postgres) and as an unprivileged user.
. "$TOP_SRCDIR/tests/lib/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/pgstep-demotest.XXXXXX")
chmod 755 "$T"
DEMO_PID=
trap 'kill -INT $DEMO_PID 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

# demo_start LABEL [runuser-prefix...]: start it in the background and wait
# until it says it is running.
demo_start() {
	label=$1
	shift
	out=$T/$label.out
	: >"$out"
	chmod 666 "$out"
	(cd "$T" && exec "$@" "$PGSTEP" demo $DEMO_ARGS >"$out" 2>&1 </dev/null) &
	DEMO_PID=$!
	i=0
	while [ $i -lt 1200 ] && ! grep -q 'Press Ctrl-C' "$out"; do
		kill -0 $DEMO_PID 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	CONF=$(sed -n 's/^  [^ ]*pgstep -c \(.*pgstep.conf\) status.*/\1/p' "$out" | head -1)
	DIR=$(dirname "$CONF")
}

demo_stop() {
	# runuser does not pass SIGINT on: signal its child (pgstep) too.
	pkill -INT -P $DEMO_PID 2>/dev/null
	kill -INT $DEMO_PID
	i=0
	while [ $i -lt 300 ] && kill -0 $DEMO_PID 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	wait $DEMO_PID
	DEMO_STATUS=$?
	DEMO_PID=
}

DEMO_ARGS=
demo_start root
like "$(cat "$out")" 'Press Ctrl-C' "the demo starts and says how to stop it"
like "$(cat "$out")" 'initech +dirty +23 +1 +024_concurrent_indexes dirty at statement 2 of 3' \
	"initech is dirty at the interrupted non-transactional migration"
check_exit 0 "status --json with the generated config" "$PGSTEP" -c "$CONF" status --json
like "$TAP_OUT" '"name":"acme","schema":"acme","labels":\{"region":"eu","tier":"gold"\},"state":"ok"' \
	"acme (from the tenants query, with labels) is up to date"
like "$TAP_OUT" '"name":"globex"[^]]*"state":"pending","applied":19,"pending":6' "globex is a phase behind"
like "$TAP_OUT" '"name":"initech","schema":null[^]]*"state":"dirty"' "initech is a database tenant, dirty"
check_exit 0 "plan on the demo shows the pending phase" "$PGSTEP" -c "$CONF" plan --tenant globex
like "$TAP_OUT" '025_drop_project_files_session_id' "the last phase is pending for globex"
rows=$("$PGSTEP" -c "$CONF" status --json >/dev/null; psql -X -At -h "$DIR" -p "$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$CONF" | head -1)" -U postgres -d app -c 'SELECT count(*) FROM acme.tool_calls' 2>&1)
case $rows in
'' | *[!0-9]*) fail "the tables hold rows (got: $rows)" ;;
*) if [ "$rows" -gt 1000 ]; then pass "the tables hold rows ($rows tool calls)"; else fail "the tables hold rows ($rows)"; fi ;;
esac
check_exit 0 "up --resume finishes the dirty tenant" "$PGSTEP" -c "$CONF" up --tenant initech --resume --yes
demo_stop
is "$DEMO_STATUS" 0 "Ctrl-C stops the demo with exit 0"
check "everything is removed" test ! -e "$DIR"

# Ctrl-C while the demo is still being built: the running migration is
# cancelled and everything made so far is removed, at once.
out=$T/early.out
(cd "$T" && exec "$PGSTEP" demo >"$out" 2>&1 </dev/null) &
DEMO_PID=$!
i=0
while [ $i -lt 1200 ] && ! grep -q 'applying up to' "$out"; do
	sleep 0.1
	i=$((i + 1))
done
EARLY_DIR=$(sed -n 's|^demo: initdb \(.*\)/data .*|\1|p' "$out" | head -1)
t0=$(date +%s)
demo_stop
is "$DEMO_STATUS" 1 "Ctrl-C during setup: exit 1"
like "$(cat "$out")" 'demo: interrupted' "it says it was interrupted"
if [ $(($(date +%s) - t0)) -le 5 ]; then pass "it stops within 5 s"; else fail "it stops within 5 s"; fi
check "nothing is left of the half-built demo" test -n "$EARLY_DIR" -a ! -e "$EARLY_DIR"

DEMO_ARGS=--keep
demo_start keep
demo_stop
check "--keep leaves the directory" test -f "$CONF"
if [ -f "$DIR/data/postmaster.pid" ]; then
	fail "--keep stops the server"
else
	pass "--keep stops the server"
fi
rm -rf "$DIR"

if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && runuser -u nobody -- test -x "$PGSTEP"; then
	DEMO_ARGS=
	demo_start nobody env HOME="$T" runuser -u nobody --
	like "$(cat "$out")" 'Press Ctrl-C' "as an unprivileged user the demo starts"
	check "its files belong to that user" sh -c "[ \"\$(stat -c %U '$DIR/data')\" = nobody ]"
	demo_stop
	is "$DEMO_STATUS" 0 "and stops with exit 0"
	check "and removes everything" test ! -e "$DIR"
else
	pass "# SKIP unprivileged run: not root, or $PGSTEP not reachable by nobody"
fi
done_testing
