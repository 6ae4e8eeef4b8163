#!/bin/sh
# Tenant isolation and hostile input: schema names PostgreSQL would cut,
# tenants that share one schema, control characters in tenant names, data
# and server messages, and a tenants query that hangs.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start

ESC=$(printf '\033')
BEL=$(printf '\007')

pg_createdb ctl
pg_createdb app
project_new "$TOP_SRCDIR/tests/lib"
rm -rf "$P/migrations"
mkdir "$P/migrations"
cat >"$P/migrations/001_people.sql" <<'SQL'
-- migrate:up
CREATE TABLE people (email text);
-- migrate:down
DROP TABLE people;
SQL

# tenants_query SQL [more config lines]: the project's tenants come from SQL
# run on ctl, and nothing else.
tenants_query() {
	conf_begin
	conf_add "[tenants]" "control = host=$PGHOST port=$PGPORT dbname=ctl user=postgres" "query = $1"
	shift
	[ $# -gt 0 ] && conf_add "$@"
	return 0
}

# untouched DB: no pgstep schema and no table of the set in DB.
untouched() {
	q "$1" "SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('public', 'information_schema')
	        UNION ALL SELECT count(*) FROM pg_class WHERE relname = 'people'" | tr '\n' ' '
}

# no_raw TEXT DESC: no ESC, BEL or backspace byte reached the output.
no_raw() {
	if printf '%s' "$1" | grep -q "[$ESC$BEL$(printf '\010')]"; then
		fail "$2"
		diag "$(printf '%s' "$1" | od -c | head -20)"
	else
		pass "$2"
	fi
}

# --- schema names PostgreSQL would cut -------------------------------------------
tenants_query "SELECT 'acme', 'tenant_' || repeat('x', 60) || '_acme' UNION ALL SELECT 'globex', 'tenant_' || repeat('x', 60) || '_globex'"
check_exit 2 "two schemas of 72 bytes from the tenants query are refused" ps up --all --yes
like "$TAP_OUT" 'row 1: tenant acme: schema "tenant_x+_acme" is 72 bytes: PostgreSQL keeps 63' \
	"the message names the tenant, its row and the limit"
like "$TAP_OUT" 'tenant globex \(row 2\)' "and the tenant it would share the schema with"
is "$(untouched ctl)" "0 0 " "nothing was written in the database"
check_exit 2 "status refuses them too" ps status

conf_begin
conf_tenant long ctl "tenant_$(printf 'x%.0s' $(seq 60))_acme"
check_exit 2 "a 72-byte schema in the config file is refused" ps status
like "$TAP_OUT" 'pgstep\.conf:[0-9]+: tenant long: schema "tenant_x+_acme" is 72 bytes' \
	"the message names the file, line and tenant"

conf_begin
conf_tenant ok63 ctl "s$(printf 'x%.0s' $(seq 62))"
check_exit 0 "a schema of exactly 63 bytes is fine" ps status

# --- two tenants on one schema ---------------------------------------------------
tenants_query "SELECT 'evil', 'pgstep'"
check_exit 2 "a tenant whose schema is pgstep is refused" ps up --all --yes
like "$TAP_OUT" 'row 1: tenant evil: schema "pgstep" is pgstep.s own state schema' "and says why"
is "$(untouched ctl)" "0 0 " "nothing was written"

tenants_query "SELECT 'whole', NULL UNION ALL SELECT 'pub', 'public'"
check_exit 2 "a database tenant and a public schema tenant of one database are refused" ps up --all --yes
like "$TAP_OUT" 'tenants whole \(tenants query, row 1\) and pub \(tenants query, row 2\) would migrate the same schema "public"' \
	"the message names both tenants and where they come from"
like "$TAP_OUT" 'whole has no schema, so it uses public' "and why a database tenant is on public"
is "$(untouched ctl)" "0 0 " "nothing was written"

tenants_query "SELECT 'pub', 'public'" "[tenant whole]" "conninfo = host=$PGHOST port=$PGPORT dbname=ctl user=postgres"
check_exit 2 "the same across the config file and the tenants query" ps up --all --yes
like "$TAP_OUT" 'tenants whole \(pgstep\.conf:[0-9]+\) and pub \(tenants query, row 1\)' "naming both"

conf_begin
conf_tenant a app
conf_add "[tenant b]" "conninfo = dbname=app port=$PGPORT host=$PGHOST"
check_exit 2 "two database tenants of one database (spelt differently) are refused" ps status
like "$TAP_OUT" 'tenants a \(pgstep\.conf:[0-9]+\) and b \(pgstep\.conf:[0-9]+\) would migrate the same schema "public"' \
	"naming both"

conf_begin
conf_tenant a app s1
conf_tenant b app s2
conf_tenant c ctl s1
check_exit 0 "different schemas, or one schema name in two databases, are fine" ps status

# --- control characters in tenant names ------------------------------------------
for what in osc colour backspace newline; do
	case $what in
	osc) name="E'\\x1b]0;pwned\\x07'" ;;
	colour) name="E'red\\x1b[31m'" ;;
	backspace) name="E'back\\bspace'" ;;
	newline) name="E'evil\\nFAKE: ok'" ;;
	esac
	tenants_query "SELECT $name, 's1'"
	check_exit 2 "a tenant name with $what from the query is refused" ps up --all --yes
	no_raw "$TAP_OUT" "$what: no control character reaches the output"
	like "$TAP_OUT" 'tenants query: row 1: tenant name ".*" holds a control character \(\\(x1b|x08|n) at byte [0-9]+\)' \
		"$what: the message says where it came from and shows it escaped"
	if printf '%s\n' "$TAP_OUT" | grep -q '^FAKE: ok'; then
		fail "$what: no forged line"
	else
		pass "$what: no forged line"
	fi
	is "$(untouched ctl)" "0 0 " "$what: nothing ran for it"
done

conf_begin
conf_add "[tenant bad$BEL]" "conninfo = dbname=ctl"
check_exit 2 "a tenant name with a control character in the config file is refused" ps status
no_raw "$TAP_OUT" "and shown escaped"
like "$TAP_OUT" 'pgstep\.conf:[0-9]+: tenant name "bad\\x07" holds a control character' "naming file and line"

# --- application data and server messages, escaped --------------------------------
conf_begin
conf_tenant acme app
check_exit 0 "001 applies" ps up --yes
q app "INSERT INTO people VALUES (E'\\x1b]0;pwned\\x07'), (E'\\x1b]0;pwned\\x07'), (E'a\\nFAKE: ok'), (E'a\\nFAKE: ok')" >/dev/null
cat >"$P/migrations/002_unique.sql" <<'SQL'
-- migrate:up
CREATE UNIQUE INDEX people_email ON people (email);
-- migrate:down
DROP INDEX people_email;
SQL
check_exit 0 "plan --preflight finds the duplicates" ps plan --preflight
no_raw "$TAP_OUT" "preflight samples: no raw control character"
like "$TAP_OUT" 'e\.g\. .*\\x1b\]0;pwned\\x07' "preflight samples: the value is shown escaped"
if printf '%s\n' "$TAP_OUT" | grep -q '^FAKE: ok'; then fail "preflight: no forged line"; else pass "preflight: no forged line"; fi
check_exit 1 "up fails on the duplicates" ps up --yes
no_raw "$TAP_OUT" "the server's DETAIL: no raw control character"
like "$TAP_OUT" 'DETAIL: Key \(email\)=\((\\x1b\]0;pwned\\x07|a\\nFAKE: ok)\) is duplicated' "the DETAIL is shown escaped"
check_exit 0 "status shows the failed migration" ps status
no_raw "$TAP_OUT" "status: no raw control character"
check_exit 0 "history" ps history
no_raw "$TAP_OUT" "history: no raw control character"

# --- a tenants query that hangs --------------------------------------------------
# ends_within SECONDS PID: wait for PID to end; kill -9 it after SECONDS (a
# pgstep that did not stop must not hang the test).
ends_within() {
	ew_end=$(($(now_ms) + $1 * 1000))
	while kill -0 "$2" 2>/dev/null; do
		if [ "$(now_ms)" -ge "$ew_end" ]; then
			kill -KILL "$2" 2>/dev/null
			return 1
		fi
		sleep 0.05
	done
}

tenants_query "SELECT 'a', 's1' FROM pg_sleep(600)" "timeout = 2s"
T0=$(now_ms)
check_exit 5 "a tenants query past its timeout exits 5" ps status
MS=$(($(now_ms) - T0))
[ "$MS" -lt 6000 ] && pass "after the timeout ($MS ms)" || fail "after the timeout ($MS ms)"
like "$TAP_OUT" 'tenants query: no answer within the \[tenants\] timeout \(2000 ms\)' "the message says so"
is "$(q ctl "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()")" 0 \
	"the server no longer runs it"

tenants_query "SELECT 'a', 's1' FROM pg_sleep(600)" "timeout = 0"
check_exit 2 "timeout = 0 is refused" ps status
like "$TAP_OUT" 'timeout must be > 0' "and says why"

tenants_query "SELECT 'a', 's1' FROM pg_sleep(600)"
for sig in INT TERM; do
	(cd "$P" && exec "$PGSTEP" status) >"$P/bg.out" 2>"$P/bg.err" </dev/null &
	PID=$!
	if wait_sql ctl 10 "SELECT count(*) = 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()"; then
		pass "SIG$sig: the tenants query runs"
	else
		fail "SIG$sig: the tenants query runs"
	fi
	T0=$(now_ms)
	kill -"$sig" "$PID"
	ends_within 5 "$PID"
	wait "$PID" 2>/dev/null
	RC=$?
	MS=$(($(now_ms) - T0))
	is "$RC" 1 "SIG$sig: pgstep exits 1"
	[ "$MS" -lt 3000 ] && pass "SIG$sig: at once ($MS ms)" || fail "SIG$sig: at once ($MS ms)"
	like "$(cat "$P/bg.err")" "tenants query: interrupted by SIG$sig; the control database was asked to cancel it" \
		"SIG$sig: says so"
	if wait_sql ctl 3 "SELECT count(*) = 0 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()"; then
		pass "SIG$sig: the server no longer runs the query"
	else
		fail "SIG$sig: the server no longer runs the query"
		diag "$(q ctl "SELECT pid, state, query FROM pg_stat_activity")"
	fi
done

# kill -9 leaves no one to cancel: client_connection_check_interval makes the
# server notice the lost client.
(cd "$P" && exec "$PGSTEP" status) >"$P/bg.out" 2>"$P/bg.err" </dev/null &
PID=$!
if wait_sql ctl 10 "SELECT count(*) = 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()"; then
	pass "kill -9: the tenants query runs"
else
	fail "kill -9: the tenants query runs"
fi
kill -KILL "$PID"
wait "$PID" 2>/dev/null
if wait_sql ctl 5 "SELECT count(*) = 0 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()"; then
	pass "kill -9: the server ends the query by itself"
else
	fail "kill -9: the server ends the query by itself"
fi

done_testing
