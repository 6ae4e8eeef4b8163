#!/bin/sh
# bench/lockload.sh: the application's worst stall while a migration waits
# for a lock. A populated table, an application querying it every 50 ms on
# one session (bench/lockload_app.c, timing each query), and a blocker
# holding ACCESS SHARE on it in an open transaction for 10 s; 0.5 s in, an
# ALTER TABLE needing ACCESS EXCLUSIVE is run by `pgstep up --yes`
# (lock_timeout 1s, retries), by `psql -f` and by dbmate in turn, each on its
# own copy of the table. The ALTER queues behind the blocker and the
# application's queries queue behind the ALTER: psql and dbmate stall them
# for the rest of the blocker's transaction, pgstep gives up after
# lock_timeout, rolls back (releasing the queue) and retries.
# Target: pgstep's worst stall <= lock_timeout + 0.3 s.
#   ROWS=100000 BLOCK_S=10
. "$(dirname "$0")/common.sh"
ROWS=${ROWS:-100000}
BLOCK_S=${BLOCK_S:-10}
LOCK_TIMEOUT_MS=1000
TARGET_MS=$((LOCK_TIMEOUT_MS + 300))
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
DBMATE=$(npm_tool dbmate dbmate) || exit 1
BENCH_LOG=$PG_TEST_DIR/bench.log

# The application is C against libpq: a psql per query would time psql's
# start-up, not the wait for the lock.
APP=$PG_TEST_DIR/lockload_app
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
cc -O2 -std=c11 $(pkg-config --cflags libpq) -o "$APP" "$TOP_SRCDIR/bench/lockload_app.c" \
	$(pkg-config --libs libpq) || { echo "cannot build bench/lockload_app.c (libpq-dev)"; exit 2; }

project_new
rm -rf "$P/migrations"
mkdir -p "$P/migrations" "$P/dbmate"
# One file for pgstep and dbmate (same markers); psql gets the up part alone.
cat >"$P/migrations/001_add_created_at.sql" <<'SQL'
-- migrate:up
ALTER TABLE t ADD COLUMN created_at timestamptz DEFAULT now();

-- migrate:down
ALTER TABLE t DROP COLUMN created_at;
SQL
cp "$P/migrations/001_add_created_at.sql" "$P/dbmate/"
echo "ALTER TABLE t ADD COLUMN created_at timestamptz DEFAULT now();" >"$P/up.sql"
# Retries enough to outlast the blocker; the small backoff (doubled each
# time) keeps pgstep from finishing long after the blocker is gone.
cat >"$P/pgstep.conf" <<CONF
[migrations]
dir = migrations
[defaults]
lock_timeout = ${LOCK_TIMEOUT_MS}ms
lock_retries = 20
retry_backoff = 200ms
CONF
conf_tenant bench l_pgstep
dburl="postgres://postgres@localhost/l_dbmate?socket=$PGHOST&port=$PGPORT&sslmode=disable"

HOLDS="SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
	WHERE l.relation = 't'::regclass AND l.granted AND a.application_name = 'lockload_blocker')"

# run_tool NAME DB CMD...: one run on a fresh table in DB; sets WORST, STALLED
# (the sum of the queries over 100 ms), MIG_MS, OK and HELD (the blocker's
# hold, from the moment its lock is seen to its end).
run_tool() {
	name=$1
	db=$2
	shift 2
	pg_createdb "$db" || exit 1
	q "$db" "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, $ROWS) g;
		ALTER TABLE t ADD PRIMARY KEY (id); ANALYZE t" >>"$BENCH_LOG" || { echo "setup of $db failed"; exit 1; }
	"$APP" "host=$PGHOST port=$PGPORT dbname=$db user=postgres" 50 \
		"SELECT v FROM t WHERE id = 4242" >"$P/$name.app" 2>"$P/$name.app.err" &
	app=$!
	sleep 1
	# ACCESS SHARE does not conflict with the application's SELECT, only
	# with the ALTER's ACCESS EXCLUSIVE.
	# Its end is noted when it ends, since pgstep may still be running then.
	rm -f "$P/blocker.end"
	(PGAPPNAME=lockload_blocker "$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" \
		-c "BEGIN; SELECT id FROM t LIMIT 1; SELECT pg_sleep($BLOCK_S); COMMIT" >>"$BENCH_LOG" 2>&1 &&
		now_ms >"$P/blocker.end") &
	blocker=$!
	wait_sql "$db" 10 "$HOLDS" || { echo "the blocker did not take its lock"; exit 1; }
	b0=$(now_ms)
	sleep 0.5
	t0=$(now_ms)
	"$@" >>"$BENCH_LOG" 2>&1
	rc=$?
	MIG_MS=$(($(now_ms) - t0))
	wait "$blocker" || { echo "the blocker failed"; exit 1; }
	HELD=$(($(cat "$P/blocker.end") - b0))
	# A moment more of the application, to see it back to normal.
	sleep 0.5
	kill -TERM "$app"
	wait "$app" || { echo "the application failed:"; cat "$P/$name.app.err"; exit 1; }
	cols=$(q "$db" "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'created_at'")
	if [ "$rc" -eq 0 ] && [ "$cols" = 1 ]; then OK=yes; else OK="NO (exit $rc)"; fi
	WORST=$(awk '$2 > w { w = $2 } END { printf "%d", w }' "$P/$name.app")
	STALLED=$(awk '$2 > 100 { s += $2 } END { printf "%d", s }' "$P/$name.app")
	N=$(wc -l <"$P/$name.app")
}

echo "lockload: $ROWS rows, a query every 50 ms, a blocker holding ACCESS SHARE for ${BLOCK_S} s, ALTER TABLE ADD COLUMN"
report() {
	printf '  %-11s: worst stall %5d ms, stalled %5d ms in all, migration %5d ms, applied %s  (%d queries, blocker held %d ms%s)\n' \
		"$1" "$WORST" "$STALLED" "$MIG_MS" "$OK" "$N" "$HELD" "${2:-}"
}
run_tool pgstep l_pgstep ps up --tenant bench --yes
w_pgstep=$WORST
report "pgstep up" ", $(q l_pgstep "SELECT count(*) FROM pgstep.events WHERE action = 'lock-wait'") lock timeouts"
run_tool psql l_psql "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d l_psql -f "$P/up.sql"
w_psql=$WORST
report "psql -f"
run_tool dbmate l_dbmate env DATABASE_URL="$dburl" "$DBMATE" --migrations-dir "$P/dbmate" --no-dump-schema up
w_dbmate=$WORST
report "dbmate up"

if [ "$w_pgstep" -le "$TARGET_MS" ]; then verdict=PASS; else verdict=MISS; fi
echo "  pgstep's worst stall: $w_pgstep ms, target <= lock_timeout + 300 = $TARGET_MS ms: $verdict"
echo "  psql's worst stall is $(ratio "$w_psql" "$w_pgstep")x pgstep's, dbmate's $(ratio "$w_dbmate" "$w_pgstep")x"
