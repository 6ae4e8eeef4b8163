#!/bin/sh
# bench/schema.sh: the cost of a schema snapshot (`pgstep schema --json`),
# against `pg_dump --schema-only` of the same database, in one run:
#   1. the sample set applied to a database tenant;
#   2. TENANTS schema tenants x TABLES tables (each with a primary key, an
#      index, a foreign key, a check and a comment) in one database: one
#      tenant's snapshot, and the whole database's.
#   3. every schema tenant of that database in one read
#      (snapshot_read_schemas, bench/snapshot_many.c), as drift --all would.
# Prints the times, the round trips and the ratios. Measure a build without
# the sanitizers (PGSTEP=/path/to/pgstep, BUILD=its build directory).
. "$(dirname "$0")/common.sh"
TENANTS=${TENANTS:-1000}
TABLES=${TABLES:-20}
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
BENCH_LOG=$PG_TEST_DIR/bench.log
# pg_dump locks every table in one transaction: 20,000 tables need room.
q postgres "ALTER SYSTEM SET max_locks_per_transaction = 1024" >>"$BENCH_LOG"
(cd "$PG_TEST_DIR" && pg__run "$PG_BINDIR/pg_ctl" -D "$PG_TEST_DIR/data" -w restart) \
	>>"$BENCH_LOG" 2>&1 || { echo "restart failed"; exit 1; }
DUMP=$PG_BINDIR/pg_dump

project_new
pg_createdb sample
pg_createdb many
conf_tenant sample sample
conf_tenant many many
conf_tenant t1 many t1
ps up --tenant sample --yes >>"$BENCH_LOG" 2>&1 || { echo "up failed"; exit 1; }

# TENANTS schemas, each TABLES tables; built server-side in one statement.
q many "DO \$\$ BEGIN FOR s IN 1..$TENANTS LOOP
  EXECUTE format('CREATE SCHEMA t%s', s);
  FOR t IN 1..$TABLES LOOP
    EXECUTE format('CREATE TABLE t%s.tab%s (id bigint PRIMARY KEY, parent bigint
      REFERENCES t%s.tab%s (id), name text NOT NULL DEFAULT %L, n int CHECK (n > 0),
      created timestamptz DEFAULT now())', s, t, s, greatest(t - 1, 1), 'x');
    EXECUTE format('CREATE INDEX ON t%s.tab%s (name)', s, t);
    EXECUTE format('COMMENT ON TABLE t%s.tab%s IS %L', s, t, 'table ' || t);
  END LOOP; COMMIT; END LOOP; END \$\$" >>"$BENCH_LOG" || { echo "build failed"; tail -5 "$BENCH_LOG"; exit 1; }

# snap TENANT: the median of 3 runs, in ms, of the whole command and of the read.
snap() {
	best=
	for _ in 1 2 3; do
		time_ms ms ps schema --tenant "$1" --json
		best="$best $ms"
	done
	echo "$best" | tr ' ' '\n' | sed '/^$/d' | sort -n | sed -n 2p
}
dump() {
	best=
	for _ in 1 2 3; do
		time_ms ms "$DUMP" --schema-only -d "$1" -f /dev/null
		best="$best $ms"
	done
	echo "$best" | tr ' ' '\n' | sed '/^$/d' | sort -n | sed -n 2p
}
objects() { ps schema --tenant "$1" --json | jq -r '.tenants[0] | "\(.object_count) objects, \(.round_trips) round trip, read \(.read_us / 1000) ms"'; }

s_snap=$(snap sample)
s_dump=$(dump sample)
echo "sample set, database tenant: $(objects sample)"
echo "  pgstep schema ${s_snap} ms, pg_dump --schema-only ${s_dump} ms, ratio $(ratio "$s_snap" "$s_dump")"
one=$(snap t1)
echo "$TENANTS schemas x $TABLES tables, one schema tenant: $(objects t1)"
whole=$(snap many)
wdump=$(dump many)
echo "  one tenant: pgstep schema ${one} ms"
echo "  whole database: $(objects many)"
echo "  whole database: pgstep schema ${whole} ms, pg_dump --schema-only ${wdump} ms, ratio $(ratio "$whole" "$wdump")"
echo "  every tenant one by one (estimate): $((one * TENANTS)) ms, ratio to one pg_dump $(ratio $((one * TENANTS)) "$wdump")"

# One read of every schema tenant, split per schema.
BUILD=${BUILD:-$TOP_SRCDIR}
MANY=$PG_TEST_DIR/snapshot_many
# shellcheck disable=SC2046
cc -O2 -std=c11 -D_GNU_SOURCE -I"$TOP_SRCDIR/include" -I"$BUILD" -o "$MANY" \
	"$TOP_SRCDIR/bench/snapshot_many.c" "$BUILD/libpgstep.a" $(pkg-config --cflags --libs libpq libcrypto) \
	-lpg_query -lpthread $(grep -q fsanitize "$BUILD/Makefile" && echo -fsanitize=address,undefined) ||
	{ echo "cannot build bench/snapshot_many.c"; exit 2; }
best=
for _ in 1 2 3; do
	t0=$(now_ms)
	line=$("$MANY" "host=$PGHOST port=$PGPORT dbname=many user=postgres" "$TENANTS") || { echo "snapshot_many failed"; exit 1; }
	best="$best $(($(now_ms) - t0))"
done
all=$(echo "$best" | tr ' ' '\n' | sed '/^$/d' | sort -n | sed -n 2p)
echo "  every schema tenant in one read: $line; ${all} ms in all, ratio to one pg_dump $(ratio "$all" "$wdump")"
