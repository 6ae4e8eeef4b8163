#!/bin/sh
# Interruptions: SIGINT, SIGTERM and SIGHUP cancel the running statement,
# roll back and record it; kill -9 of pgstep leaves the server to roll back
# (client_connection_check_interval) into a consistent, resumable state.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start

# scenario DB TENANT: a fresh database and a project with an empty
# migrations directory and one database tenant.
scenario() {
	[ -n "${P:-}" ] && rm -rf "$P"
	pg_createdb "$1"
	project_new "$TOP_SRCDIR/tests/lib"
	rm -rf "$P/migrations"
	mkdir "$P/migrations"
	conf_tenant "$2" "$1"
	DB=$1
	T=$2
}

# start ARGS...: pgstep in the background; PID is pgstep's own pid.
start() {
	(cd "$P" && exec "$PGSTEP" "$@") >"$P/bg.out" 2>"$P/bg.err" </dev/null &
	PID=$!
}

# running SQL: wait until pgstep's backend is running exactly this statement.
running() {
	wait_sql "$DB" 10 "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'pgstep'
		AND state = 'active' AND query = '$1'"
}

# finish: wait for the background pgstep; RC, MS (since T0), OUT, ERR.
finish() {
	wait "$PID" 2>/dev/null # no "Killed" line from the shell
	RC=$?
	MS=$(($(now_ms) - T0))
	OUT=$(cat "$P/bg.out")
	ERR=$(cat "$P/bg.err")
}

# gone SECONDS: wait until no pgstep backend and no advisory lock are left.
gone() {
	wait_sql "$DB" "$1" "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'pgstep')
		AND NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory')"
}

events() {
	q "$DB" "SELECT coalesce(string_agg(action, ',' ORDER BY seq), '') FROM pgstep.events WHERE tenant = '$T'"
}

exists() {
	q "$DB" "SELECT to_regclass('$1') IS NOT NULL"
}

tenant_json() {
	ps status --json | sed 's/.*"migrations":\[//'
}

# --- signals during a transactional migration ------------------------------------
scenario i1 t1
cat >"$P/migrations/001_long.sql" <<'SQL'
-- migrate:up
CREATE TABLE long_a (id int);
SELECT pg_sleep(30);
CREATE TABLE long_b (id int);
-- migrate:down
DROP TABLE long_b;
DROP TABLE long_a;
SQL
n=0
for sig in INT HUP TERM; do
	n=$((n + 1))
	start up --yes
	if running 'SELECT pg_sleep(30)'; then pass "SIG$sig: the migration is in its pg_sleep"; else fail "SIG$sig: the migration is in its pg_sleep"; fi
	T0=$(now_ms)
	kill -"$sig" "$PID"
	finish
	is "$RC" 1 "SIG$sig: pgstep exits 1"
	[ "$MS" -lt 2000 ] && pass "SIG$sig: within 2 s ($MS ms)" || fail "SIG$sig: within 2 s ($MS ms)"
	like "$ERR" 'tenant t1: 001_long: statement 2 \(.*001_long\.sql:3\) cancelled: .*57014.*nothing was applied' \
		"SIG$sig: the message names tenant, migration, file and line, and says nothing was applied"
	is "$(q i1 "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(30)'")" 0 \
		"SIG$sig: no backend left running pg_sleep"
	is "$(exists long_a)" f "SIG$sig: statement 1 was rolled back"
	is "$(q i1 "SELECT count(*) FROM pgstep.migrations")" 0 "SIG$sig: no state row (nothing was applied)"
	is "$(q i1 "SELECT count(*) FROM pgstep.events WHERE action = 'cancel'")" "$n" "SIG$sig: a cancel event is recorded"
	like "$(q i1 "SELECT detail FROM pgstep.events ORDER BY seq DESC LIMIT 1")" '"statement":"SELECT pg_sleep\(30\)"' \
		"SIG$sig: the event names the cancelled statement"
	if gone 5; then pass "SIG$sig: the session and its lock are gone"; else fail "SIG$sig: the session and its lock are gone"; fi
done
like "$(tenant_json)" '"version":"001","name":"long","phase":"[^"]*","state":"pending"' "status: still pending"
check_exit 0 "verify: the history holds" ps verify

# --- SIGINT during statement 2 of a non-transactional migration -------------------
scenario i2 t2
q i2 "CREATE TABLE nap (s float8); INSERT INTO nap VALUES (30)" >/dev/null
cat >"$P/migrations/001_nt.sql" <<'SQL'
-- migrate:up transaction:false
CREATE TABLE nt_a (id int);
SELECT pg_sleep(s) FROM nap;
CREATE TABLE nt_c (id int);
-- migrate:down
DROP TABLE nt_c;
DROP TABLE nt_a;
SQL
start up --yes
if running 'SELECT pg_sleep(s) FROM nap'; then pass "non-transactional: in statement 2"; else fail "non-transactional: in statement 2"; fi
T0=$(now_ms)
kill -INT "$PID"
finish
is "$RC" 1 "SIGINT: pgstep exits 1"
[ "$MS" -lt 2000 ] && pass "SIGINT: within 2 s ($MS ms)" || fail "SIGINT: within 2 s ($MS ms)"
like "$ERR" '001_nt\.sql:3\) cancelled.*state is dirty' "the message says cancelled at line 3, state dirty"
is "$(q i2 "SELECT state || '|' || statements_done || '|' || statements_total FROM pgstep.migrations")" "dirty|1|3" \
	"dirty with statements_done 1"
is "$(events)" "start,statement,cancel" "events: start, statement 1, cancel"
is "$(exists nt_a)" t "statement 1's effect stays, as recorded"
q i2 "UPDATE nap SET s = 0" >/dev/null
check_exit 0 "up --resume completes it" ps up --resume --yes
is "$(q i2 "SELECT state || '|' || statements_done FROM pgstep.migrations")" "applied|3" "applied"
is "$(events)" "start,statement,cancel,resume,statement,apply" "events: ..., resume, statement 2, apply"

# --- kill -9 during a long statement of a transactional migration -----------------
scenario i3 t3
cat >"$P/migrations/001_long.sql" <<'SQL'
-- migrate:up
CREATE TABLE long_a (id int);
SELECT pg_sleep(30);
CREATE TABLE long_b (id int);
-- migrate:down
DROP TABLE long_b;
DROP TABLE long_a;
SQL
start up --yes
if running 'SELECT pg_sleep(30)'; then pass "kill -9: the migration is in its pg_sleep"; else fail "kill -9: the migration is in its pg_sleep"; fi
T0=$(now_ms)
kill -KILL "$PID"
finish
is "$RC" 137 "pgstep was killed"
if gone 5; then
	pass "the server rolled back within a few seconds ($(($(now_ms) - T0)) ms): no pgstep backend, lock free"
else
	fail "the server rolled back within a few seconds: no pgstep backend, lock free"
	q i3 "SELECT pid, state, query FROM pg_stat_activity WHERE application_name = 'pgstep'" | sed 's/^/# /'
fi
is "$(exists long_a)" f "statement 1 was rolled back"
is "$(q i3 "SELECT count(*) FROM pgstep.migrations")" 0 "no state row"
is "$(events)" "" "no event: nothing happened"
check_exit 0 "status --json" ps status --json
like "$TAP_OUT" '"name":"t3"[^]]*"state":"pending","applied":0,"pending":1' "status: the tenant is pending"
like "$TAP_OUT" '"version":"001","name":"long","phase":"[^"]*","state":"pending"' "status: the migration is pending"
sed -i 's/pg_sleep(30)/pg_sleep(0)/' "$P/migrations/001_long.sql"
check_exit 0 "a new up applies the shortened migration" ps up --yes
is "$(q i3 "SELECT state || '|' || statements_done FROM pgstep.migrations")" "applied|3" "applied"
is "$(exists long_a)$(exists long_b)" tt "both tables exist"

# --- kill -9 during statement 2 of a non-transactional migration ------------------
scenario i4 t4
q i4 "CREATE TABLE nap (s float8); INSERT INTO nap VALUES (30)" >/dev/null
cat >"$P/migrations/001_nt.sql" <<'SQL'
-- migrate:up transaction:false
CREATE TABLE nt_a (id int);
SELECT pg_sleep(s) FROM nap;
CREATE TABLE nt_c (id int);
-- migrate:down
DROP TABLE nt_c;
DROP TABLE nt_a;
SQL
start up --yes
if running 'SELECT pg_sleep(s) FROM nap'; then pass "kill -9: in statement 2"; else fail "kill -9: in statement 2"; fi
T0=$(now_ms)
kill -KILL "$PID"
finish
is "$RC" 137 "pgstep was killed"
if gone 5; then pass "the server ended the session ($(($(now_ms) - T0)) ms)"; else fail "the server ended the session"; fi
is "$(q i4 "SELECT state || '|' || statements_done || '|' || statements_total FROM pgstep.migrations")" "dirty|1|3" \
	"dirty with statements_done 1"
is "$(events)" "start,statement" "events: start, statement 1"
is "$(exists nt_a)$(exists nt_c)" tf "statement 1's effect stays, statement 3 never ran"
check_exit 0 "status --json" ps status --json
like "$TAP_OUT" '"name":"t4"[^]]*"state":"dirty"' "status: the tenant is dirty"
like "$TAP_OUT" '"state":"dirty","checksum_ok":true,"statements_done":1,"statements_total":3' "status: dirty after 1 of 3"
check_exit 1 "up without --resume refuses" ps up --yes
like "$TAP_OUT" 'tenant t4: 001_nt is dirty: 1 of 3 statements done' "and says why"
q i4 "UPDATE nap SET s = 0" >/dev/null
check_exit 0 "up --resume completes it" ps up --resume --yes
is "$(q i4 "SELECT state || '|' || statements_done FROM pgstep.migrations")" "applied|3" "applied"
is "$(exists nt_c)" t "statement 3 ran"
is "$(events)" "start,statement,interrupted,resume,statement,apply" \
	"events: start, statement, the silent stop (recorded by the resume), resume, statement, apply"
check_exit 0 "verify: the history holds" ps verify

done_testing
