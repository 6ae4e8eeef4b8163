#!/bin/sh
# bench/status.sh: 1,000 schema tenants x 100 applied migrations.
# `pgstep status --all --json` against one psql query over the same state
# rows, in one run. Target: pgstep <= 2x the query.
. "$(dirname "$0")/common.sh"
TENANTS=${TENANTS:-1000}
MIGRATIONS=${MIGRATIONS:-100}
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
BENCH_LOG=$PG_TEST_DIR/bench.log

project_new
rm -rf "$P/migrations"
mkdir -p "$P/migrations"
i=1
while [ "$i" -le "$MIGRATIONS" ]; do
	printf -- '-- pgstep:note Table %d.\n-- migrate:up\nCREATE TABLE t%d (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE t%d;\n' \
		"$i" "$i" "$i" >"$P/migrations/$(printf '%03d' "$i")_t$i.sql"
	i=$((i + 1))
done
pg_createdb app
q app "CREATE TABLE tenants (slug text PRIMARY KEY, schema_name text, region text);
       INSERT INTO tenants SELECT 'tenant' || g, 'tenant' || g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END
       FROM generate_series(1, $TENANTS) g" >/dev/null
conf_add "[tenants]" "control = host=$PGHOST port=$PGPORT dbname=app user=postgres" \
	"query = SELECT slug, schema_name, region FROM tenants"

# Apply the set for real on one tenant, then copy its rows to the others:
# applying 100,000 migrations would only measure `up`.
time_ms t_apply ps up --tenant tenant1 --yes
q app "INSERT INTO pgstep.migrations
       SELECT 'tenant' || g, version, version_text, name, phase, checksum, state,
              statements_total, statements_done, up_sql, down_sql, db_user, os_user,
              client_addr, started_at, finished_at, duration_ms, sqlstate, error_message,
              error_statement
       FROM pgstep.migrations, generate_series(2, $TENANTS) g WHERE tenant = 'tenant1';
       ANALYZE pgstep.migrations" >/dev/null
rows=$(q app "SELECT count(*) FROM pgstep.migrations WHERE state = 'applied'")
[ "$rows" = $((TENANTS * MIGRATIONS)) ] || { echo "expected $((TENANTS * MIGRATIONS)) rows, have $rows"; exit 1; }

query="SELECT tenant, version, name, phase, state, checksum FROM pgstep.migrations ORDER BY tenant, version"
best() { printf '%s\n' $1 | sort -n | head -1; }
s_q= s_p=
for r in 1 2 3; do
	time_ms t "$PG_BINDIR/psql" -X -q -At -d app -c "$query" -o /dev/null
	s_q="$s_q $t"
	time_ms t sh -c "cd '$P' && '$PGSTEP' status --all --json >'$PG_TEST_DIR/status.json'"
	s_p="$s_p $t"
done
ok=$(grep -o '"state":"ok","applied":'"$MIGRATIONS"',"pending":0' "$PG_TEST_DIR/status.json" | wc -l)
[ "$ok" = "$TENANTS" ] || { echo "status reported $ok of $TENANTS tenants up to date"; exit 1; }
t_q=$(best "$s_q")
t_p=$(best "$s_p")
echo "status: $TENANTS schema tenants x $MIGRATIONS applied migrations (best of 3)"
echo "  psql query           : $t_q ms   (runs:$s_q)"
echo "  pgstep status --json : $t_p ms  ($(ratio "$t_p" "$t_q")x the query; target <= 2x)   (runs:$s_p)"
