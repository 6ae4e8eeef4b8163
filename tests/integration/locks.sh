#!/bin/sh
# Locks: one pgstep per tenant (a second one exits 4 naming the holder, a
# tenant in another schema of the same database goes on), and lock_timeout
# with retries against an application lock, while the application's readers
# are never stalled longer than lock_timeout + 0.5 s.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
pg_createdb app
pg_createdb lk

# run ARGS...: pgstep with stdout and stderr kept apart (RC, OUT, ERR); a
# pgstep that hangs is killed after 30 s (exit 124) instead of hanging the suite.
run() {
	(cd "$P" && exec timeout 30 "$PGSTEP" "$@") >"$P/.out" 2>"$P/.err" </dev/null
	RC=$?
	OUT=$(cat "$P/.out")
	ERR=$(cat "$P/.err")
}

SLEEPERS="SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgstep'
	AND state = 'active' AND query = 'SELECT pg_sleep(5)'"

# --- one pgstep per tenant -------------------------------------------------------
project_new "$TOP_SRCDIR/tests/lib"
rm -rf "$P/migrations"
mkdir "$P/migrations"
conf_tenant acme app acme
conf_tenant globex app globex
cat >"$P/migrations/001_slow.sql" <<'SQL'
-- migrate:up
SELECT pg_sleep(5);
CREATE TABLE slow_done (id int);
-- migrate:down
DROP TABLE slow_done;
SQL

(cd "$P" && exec "$PGSTEP" up --tenant acme --yes) >"$P/first.out" 2>&1 </dev/null &
first=$!
if wait_sql app 10 "SELECT ($SLEEPERS) = 1"; then
	pass "the first up is running its pg_sleep"
else
	fail "the first up is running its pg_sleep"
fi
holder=$(q app "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgstep' AND query = 'SELECT pg_sleep(5)'")

t0=$(now_ms)
run up --tenant acme --yes
t1=$(now_ms)
is "$RC" 4 "a second up on the same tenant exits 4"
like "$ERR" "tenant acme is locked by another pgstep: pid $holder, user postgres, client local, since [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}" \
	"the message names the holder's pid, user, client and since"
[ $((t1 - t0)) -lt 3000 ] && pass "it does not wait for the holder ($((t1 - t0)) ms)" ||
	fail "it does not wait for the holder ($((t1 - t0)) ms)"
is "$(q app "SELECT ($SLEEPERS) = 1")" t "the first up is still running"
is "$(q app "SELECT count(*) FROM pgstep.events WHERE tenant = 'acme'")" 0 "the second up recorded nothing"

# Another schema tenant of the same database is not blocked: its migration
# runs while acme's is still sleeping.
(cd "$P" && exec "$PGSTEP" up --tenant globex --yes) >"$P/globex.out" 2>&1 </dev/null &
other=$!
if wait_sql app 4 "SELECT ($SLEEPERS) = 2"; then
	pass "globex runs its migration while acme's is running"
else
	fail "globex runs its migration while acme's is running"
fi
wait "$first"
is "$?" 0 "the first up on acme succeeds"
wait "$other"
is "$?" 0 "the up on globex succeeds"
like "$(cat "$P/first.out")" 'acme: 001_slow applied' "acme: applied"
like "$(cat "$P/globex.out")" 'globex: 001_slow applied' "globex: applied"
is "$(q app "SELECT string_agg(tenant || '=' || state, ',' ORDER BY tenant) FROM pgstep.migrations")" \
	"acme=applied,globex=applied" "both recorded"
is "$(q app "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" 0 "no advisory lock left"

# --- lock_timeout, retries, and the application's readers ---------------------------
rm -rf "$P"
project_new "$TOP_SRCDIR/tests/lib"
rm -rf "$P/migrations"
mkdir "$P/migrations"
cat >"$P/pgstep.conf" <<'CONF'
[migrations]
dir = migrations
[defaults]
lock_timeout = 1s
lock_retries = 2
CONF
conf_tenant lt lk
cat >"$P/migrations/001_alter.sql" <<'SQL'
-- migrate:up
ALTER TABLE t ADD COLUMN created_at timestamptz DEFAULT now();
-- migrate:down
ALTER TABLE t DROP COLUMN created_at;
SQL
q lk "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g" >/dev/null

# The blocker: a session holding ACCESS SHARE on t in an open transaction,
# fed through a fifo so it stays open until we close it.
mkfifo "$P/blocker.fifo"
"$PG_BINDIR/psql" -X -q -At -d lk <"$P/blocker.fifo" >"$P/blocker.out" 2>&1 &
blocker=$!
exec 3>"$P/blocker.fifo"
echo "BEGIN; SELECT id FROM t LIMIT 1; SELECT 'holding';" >&3
if wait_sql lk 10 "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 't'::regclass
	AND mode = 'AccessShareLock' AND granted AND pid <> pg_backend_pid())"; then
	pass "the blocker holds ACCESS SHARE on t"
else
	fail "the blocker holds ACCESS SHARE on t"
fi

# The application: a reader timing each query, every ~50 ms, until told to
# stop (or the project is gone, should the test die first). Each line of
# reader.ms is a query's start (ms) and how long it waited for its answer.
reader() {
	while [ -d "$P" ] && [ ! -f "$P/reader.stop" ]; do
		s=$(now_ms)
		"$PG_BINDIR/psql" -X -q -At -d lk -c "SELECT count(*) FROM t" >/dev/null 2>>"$P/reader.err" ||
			echo "reader query failed" >>"$P/reader.err"
		echo "$s $(($(now_ms) - s))" >>"$P/reader.ms"
		sleep 0.05
	done
}
: >"$P/reader.ms"
: >"$P/reader.err"
reader &
reader_pid=$!
while [ "$(wc -l <"$P/reader.ms")" -lt 3 ]; do sleep 0.05; done

t0=$(now_ms)
run up --yes
t1=$(now_ms)
# The reader ran throughout if it still answers a query started after the
# run: however few queries a loaded machine let it make, none of them may
# have waited long (below).
answered_after=false
while [ "$(now_ms)" -lt $((t1 + 20000)) ]; do
	if awk -v t="$t1" '$1 >= t { found = 1 } END { exit !found }' "$P/reader.ms"; then
		answered_after=true
		break
	fi
	sleep 0.05
done
touch "$P/reader.stop"
wait "$reader_pid"

is "$RC" 1 "up gives up after lock_retries: exit 1"
like "$ERR" "001_alter\.sql:2.*55P03.*gave up after 3 attempts with lock_timeout 1000ms" \
	"the message names file, line, SQLSTATE and the 3 attempts"
like "$OUT" 'retry 1 in 500 ms' "the first retry waits the base backoff"
like "$OUT" 'retry 2 in 1000 ms' "the second retry waits twice as long"
# 3 lock timeouts of 1 s, backoffs of 0.5 s and 1 s.
elapsed=$((t1 - t0))
[ "$elapsed" -ge 4400 ] && [ "$elapsed" -lt 9000 ] && pass "3 attempts with backoff took $elapsed ms" ||
	fail "3 attempts with backoff took $elapsed ms (want about 4500)"
is "$(q lk "SELECT count(*) FROM pgstep.events WHERE action = 'lock-wait'")" 2 "two lock-wait events"
like "$(q lk "SELECT string_agg(detail, ' ' ORDER BY seq) FROM pgstep.events WHERE action = 'lock-wait'")" \
	'"attempt":2,"backoff_ms":500}.*"attempt":3,"backoff_ms":1000}' "each names the attempt and backoff"
is "$(q lk "SELECT string_agg(action, ',' ORDER BY seq) FROM pgstep.events")" "lock-wait,lock-wait,fail" \
	"events: lock-wait, lock-wait, fail"
is "$(q lk "SELECT state || '|' || sqlstate || '|' || error_statement FROM pgstep.migrations")" \
	"failed|55P03|1" "a failed row with SQLSTATE 55P03"
is "$(q lk "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'created_at'")" 0 \
	"the table is unchanged"
is "$(q lk "SELECT count(*) FROM t")" 20000 "its rows are all there"

samples=$(awk -v a="$t0" -v b="$t1" '$1 >= a && $1 < b' "$P/reader.ms" | wc -l)
max=$(awk '{ print $2 }' "$P/reader.ms" | sort -n | tail -n 1)
diag "reader: $samples queries during the run, worst stall $max ms"
is "$(cat "$P/reader.err")" "" "every reader query succeeded"
$answered_after && pass "the reader ran throughout (it answered a query started after the run)" ||
	fail "the reader ran throughout (no answer to a query started after the run)"
[ "$max" -gt 300 ] && pass "the reader did queue behind the ALTER (max $max ms): the measure is real" ||
	fail "the reader did queue behind the ALTER (max $max ms): the measure is real"
[ "$max" -le 1500 ] && pass "no reader stalled longer than lock_timeout + 0.5 s (max $max ms)" ||
	fail "no reader stalled longer than lock_timeout + 0.5 s (max $max ms)"

# SIGINT while backing off between attempts cancels at once (a long backoff
# so the signal surely lands in it).
sed -i 's/^lock_retries = 2$/lock_retries = 2\nretry_backoff = 20s/' "$P/pgstep.conf"
(cd "$P" && exec "$PGSTEP" up --yes) >"$P/bg.out" 2>"$P/bg.err" </dev/null &
pid=$!
if wait_sql lk 10 "SELECT count(*) = 3 FROM pgstep.events WHERE action = 'lock-wait'"; then
	pass "backing off after a lock timeout"
else
	fail "backing off after a lock timeout"
fi
t0=$(now_ms)
kill -INT "$pid"
wait "$pid"
rc=$?
t1=$(now_ms)
is "$rc" 1 "SIGINT during the backoff: exit 1"
[ $((t1 - t0)) -lt 1000 ] && pass "without waiting out the backoff ($((t1 - t0)) ms)" ||
	fail "without waiting out the backoff ($((t1 - t0)) ms)"
like "$(cat "$P/bg.err")" '001_alter\.sql:2\) cancelled: cancelled while waiting to retry; nothing was applied' \
	"the message says it was cancelled while waiting to retry"
is "$(q lk "SELECT string_agg(action, ',' ORDER BY seq) FROM pgstep.events")" \
	"lock-wait,lock-wait,fail,lock-wait,cancel" "events: ..., lock-wait, cancel"
is "$(q lk "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'created_at'")" 0 \
	"the table is still unchanged"

# The blocker goes away: the same migration applies.
echo "COMMIT;" >&3
exec 3>&-
wait "$blocker"
is "$(cat "$P/blocker.out")" "1
holding" "the blocker saw its row and ended cleanly"
check_exit 0 "without the blocker, up applies the ALTER" ps up --yes
is "$(q lk "SELECT state FROM pgstep.migrations")" applied "recorded applied"
is "$(q lk "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'created_at'")" 1 \
	"the column exists"

done_testing
