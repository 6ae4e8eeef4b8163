#!/bin/sh
# bench/apply.sh: 500 one-table migrations on a fresh database, applied by
# `pgstep up`, by one `psql -1 -f` of the same statements, and by dbmate, on
# the same durable server (fsync on), in one run. Target: pgstep <= 1.15x psql.
. "$(dirname "$0")/common.sh"
N=${N:-500}
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
PG_DURABLE=1
pg_start
DBMATE=$(npm_tool dbmate dbmate) || exit 1
BENCH_LOG=$PG_TEST_DIR/bench.log

project_new
rm -rf "$P/migrations"
mkdir -p "$P/migrations" "$P/dbmate"
i=1
while [ "$i" -le "$N" ]; do
	f="$P/migrations/$(printf '%04d' "$i")_create_t$i.sql"
	stmt="CREATE TABLE t$i (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());"
	printf -- '-- migrate:up\n%s\n\n-- migrate:down\nDROP TABLE t%d;\n' "$stmt" "$i" >"$f"
	cp "$f" "$P/dbmate/"
	printf '%s\n' "$stmt" >>"$P/all.sql"
	i=$((i + 1))
done
conf_tenant bench b_pgstep
dburl="postgres://postgres@localhost/b_dbmate?socket=$PGHOST&port=$PGPORT&sslmode=disable"

# Rounds alternate the tools on fresh databases; the median of each is kept,
# so a busy moment of the machine does not decide the ratio.
ROUNDS=${ROUNDS:-3}
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for name in b_psql b_pgstep b_dbmate; do
		q postgres "DROP DATABASE IF EXISTS $name" >/dev/null
		pg_createdb "$name"
	done
	time_ms t "$PG_BINDIR/psql" -X -q -1 -v ON_ERROR_STOP=1 -d b_psql -f "$P/all.sql"
	s_psql="${s_psql:-} $t"
	time_ms t ps up --tenant bench --yes
	s_pgstep="${s_pgstep:-} $t"
	time_ms t env DATABASE_URL="$dburl" "$DBMATE" --migrations-dir "$P/dbmate" --no-dump-schema up
	s_dbmate="${s_dbmate:-} $t"
	applied=$(q b_pgstep "SELECT count(*) FROM pgstep.migrations WHERE state='applied'")
	[ "$applied" = "$N" ] || { echo "pgstep applied $applied of $N"; exit 1; }
	tables=$(q b_dbmate "SELECT count(*) FROM pg_tables WHERE tablename ~ '^t[0-9]+$'")
	[ "$tables" = "$N" ] || { echo "dbmate created $tables of $N tables"; exit 1; }
	r=$((r + 1))
done
median() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
t_psql=$(median "$s_psql")
t_pgstep=$(median "$s_pgstep")
t_dbmate=$(median "$s_dbmate")
echo "apply: $N one-table migrations, durable server (fsync on), median of $ROUNDS rounds"
echo "  psql -1 -f : $t_psql ms   (rounds:$s_psql)"
echo "  pgstep up  : $t_pgstep ms  ($(ratio "$t_pgstep" "$t_psql")x psql; target <= 1.15x)   (rounds:$s_pgstep)"
echo "  dbmate up  : $t_dbmate ms  ($(ratio "$t_dbmate" "$t_psql")x psql)   (rounds:$s_dbmate)"
