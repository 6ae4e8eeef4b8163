#!/bin/sh
# bench/bigfile.sh: one ~50 MB migration (56,000 INSERTs of ~900 bytes), as
# issue 10 measured it, applied by `pgstep up` and by `psql -1 -f` of the same
# statements on the same server, in one run. Prints each one's peak RSS
# (/usr/bin/time) and time, and pgstep's peak over the file's size.
# Target (issue 10): peak memory in proportion to one statement, not to the
# file.   N=56000 PAD=850
. "$(dirname "$0")/common.sh"
N=${N:-56000}
PAD=${PAD:-850}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
BENCH_LOG=$PG_TEST_DIR/bench.log

project_new
rm -rf "$P/migrations"
mkdir -p "$P/migrations"
awk -v n="$N" -v pad="$PAD" -v up="$P/migrations/001_big.sql" -v plain="$P/all.sql" 'BEGIN {
	x = sprintf("%" pad "s", ""); gsub(/ /, "x", x)
	print "-- migrate:up\nCREATE TABLE big (id int, v text);" > up
	print "CREATE TABLE big (id int, v text);" > plain
	for (i = 0; i < n; i++) {
		s = sprintf("INSERT INTO big VALUES (%d, %c%s%c);", i, 39, x, 39)
		print s > up
		print s > plain
	}
	print "-- migrate:down\nDROP TABLE big;" > up
}'
bytes=$(wc -c <"$P/migrations/001_big.sql")
conf_tenant bench b_pgstep
pg_createdb b_pgstep
pg_createdb b_psql

# peak KB and ms of a command
peak() {
	t0=$(now_ms)
	/usr/bin/time -f '%M' -o "$PG_TEST_DIR/rss" "$@" >>"$BENCH_LOG" 2>&1 ||
		{ echo "failed: $*"; tail -5 "$BENCH_LOG"; exit 1; }
	ms=$(($(now_ms) - t0))
	kb=$(tail -1 "$PG_TEST_DIR/rss")
}
peak "$PG_BINDIR/psql" -X -q -1 -v ON_ERROR_STOP=1 -d b_psql -f "$P/all.sql"
psql_kb=$kb psql_ms=$ms
peak sh -c "cd '$P' && '$PGSTEP' up --tenant bench --yes"
pgstep_kb=$kb pgstep_ms=$ms
rows=$(q b_pgstep "SELECT count(*) FROM big")
[ "$rows" = "$N" ] || { echo "pgstep applied $rows of $N rows"; exit 1; }
echo "bigfile: one migration of $bytes bytes, $N statements"
echo "  psql -1 -f : peak $((psql_kb / 1024)) MB, $psql_ms ms"
echo "  pgstep up  : peak $((pgstep_kb / 1024)) MB, $pgstep_ms ms ($(ratio "$((pgstep_kb * 1024))" "$bytes")x the file; $(ratio "$pgstep_kb" "$psql_kb")x psql's peak)"
