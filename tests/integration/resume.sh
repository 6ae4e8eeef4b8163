#!/bin/sh
# Exact state across interruptions: a statement that ran outside a
# transaction and may have completed is decided from the catalogue on
# resume; an index left INVALID is a failure, never an applied migration;
# a resume into a file changed where it already ran is refused; a lost
# connection reports the statement's own error and is recorded; concurrent
# first runs serialise. (tests/integration/crash.sh runs random trials.)
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
. "$TOP_SRCDIR/tests/lib/scenario.sh"
pg_start

# start ARGS...: pgstep in the background; PID is pgstep's own.
start() {
	(cd "$P" && exec "$PGSTEP" "$@") >"$P/bg.out" 2>"$P/bg.err" </dev/null &
	PID=$!
}

# backend STATE QUERY-PREFIX: wait until pgstep's backend runs it in STATE.
backend() {
	wait_sql "$DB" 30 "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'pgstep'
		AND state = '$1' AND query LIKE '$2%'"
}

killed() {
	kill -9 "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	wait_sql "$DB" 10 "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'pgstep')"
}

# --- a CREATE INDEX CONCURRENTLY that completed after pgstep stopped ---------
scenario r1 t1
mig 001_t.sql <<'SQL'
-- migrate:up
CREATE TABLE t (id int, v text);
INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 600000) g;
-- migrate:down
DROP TABLE t;
SQL
mig 002_idx.sql <<'SQL'
-- migrate:up
CREATE INDEX CONCURRENTLY t_v_idx ON t (v);
CREATE TABLE after_idx (id int);
-- migrate:down
DROP TABLE after_idx;
DROP INDEX CONCURRENTLY t_v_idx;
SQL
run up --yes --to 001
is "$RC" 0 "the table is filled"
start up --yes
if backend active 'CREATE INDEX CONCURRENTLY'; then pass "the index is being built"; else fail "the index is being built"; fi
# pgstep stops hearing (a frozen client); the server finishes the build.
kill -STOP "$PID"
if backend idle 'CREATE INDEX CONCURRENTLY'; then pass "the build completed on the server"; else fail "the build completed on the server"; fi
killed
is "$(row idx 'state, statements_done')" "dirty|0" "the history says dirty before statement 1"
is "$(q r1 "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v_idx'::regclass")" t "while the index is valid"
run up --resume --yes
is "$RC" 0 "resume decides from the catalogue instead of building it twice"
like "$OUT$ERR" 'statement 1 \(CREATE INDEX CONCURRENTLY t_v_idx\) was in flight when the run stopped and completed: index t_v_idx is valid' \
	"and says what it found"
is "$(row idx 'state, statements_done, statements_total')" "applied|2|2" "applied, 2 of 2"
is "$(q r1 "SELECT to_regclass('after_idx') IS NOT NULL")" t "statement 2 ran"
like "$(events)" 'start,in-flight,interrupted,resolve,resume,' "the silent stop and the decision are in the event log"
check_exit 0 "verify" ps verify

# --- a statement in flight that the catalogue cannot settle -------------------
scenario r2 t2
mig 001_p.sql <<'SQL'
-- migrate:up
CREATE TABLE p (id int) PARTITION BY RANGE (id);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
-- migrate:down
DROP TABLE p;
SQL
mig 002_detach.sql <<'SQL'
-- pgstep:lock-timeout 30s
-- migrate:up
ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY;
-- migrate:down
ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM (0) TO (10);
SQL
run up --yes --to 001
"$PG_BINDIR/psql" -X -q -d r2 -c "BEGIN; LOCK TABLE p; SELECT pg_sleep(30)" >/dev/null 2>&1 &
HOLDER=$!
wait_sql r2 10 "SELECT count(*) = 1 FROM pg_locks WHERE relation = 'p'::regclass AND mode = 'AccessExclusiveLock' AND granted" >/dev/null
start up --yes
if wait_sql r2 10 "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'pgstep' AND wait_event_type = 'Lock'"; then
	pass "the DETACH waits for the lock"
else
	fail "the DETACH waits for the lock"
fi
killed
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
q r2 "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'BEGIN; LOCK TABLE p%'" >/dev/null
run up --resume --yes
is "$RC" 1 "resume refuses a statement it cannot settle"
like "$ERR" "statement 1 \(line 3, this statement\) was in flight when the run stopped.*cannot tell.*pgstep repair --tenant t2 --version 002" \
	"names the statement and the way out"
is "$(row detach 'state, statements_done')" "dirty|0" "nothing changed"

# --- IF NOT EXISTS meets an INVALID index -------------------------------------
scenario r3 t3
q r3 "CREATE TABLE dup (id int); INSERT INTO dup VALUES (1), (1)" >/dev/null
q r3 "CREATE UNIQUE INDEX CONCURRENTLY dup_id ON dup (id)" >/dev/null 2>&1
is "$(q r3 "SELECT indisvalid FROM pg_index WHERE indexrelid = 'dup_id'::regclass")" f "a failed build left dup_id INVALID"
mig 001_idx.sql <<'SQL'
-- migrate:up
CREATE INDEX CONCURRENTLY IF NOT EXISTS dup_id ON dup (id);
-- migrate:down
DROP INDEX CONCURRENTLY dup_id;
SQL
run up --yes
is "$RC" 1 "IF NOT EXISTS skipping an INVALID index is a failure"
like "$ERR" 'index dup_id is INVALID after this statement' "which names the index"
is "$(row idx 'state, statements_done')" "dirty|0" "dirty before statement 1, not applied"
run up --resume --yes
is "$RC" 0 "resume drops it and builds it again"
like "$OUT" 'index dup_id was left INVALID; dropping it and building it again' "and says so"
is "$(q r3 "SELECT indisvalid FROM pg_index WHERE indexrelid = 'dup_id'::regclass")" t "the index is valid"
is "$(row idx 'state')" "applied" "applied"

# --- resuming into a file changed since the run began -------------------------
scenario r4 t4
mig 001_nt.sql <<'SQL'
-- pgstep:no-transaction
-- migrate:up
CREATE TABLE d1 (id int);
INSERT INTO missing VALUES (1);
CREATE TABLE d3 (id int);
-- migrate:down
DROP TABLE d3;
DROP TABLE d1;
SQL
run up --yes
is "$RC" 1 "statement 2 fails"
is "$(row nt 'state, statements_done')" "dirty|1" "dirty after statement 1"
old_sum=$(row nt checksum)
sed -i 's/^CREATE TABLE d1 (id int);/CREATE TABLE d1 (id bigint);/; s/^INSERT INTO missing VALUES (1);/CREATE TABLE d2 (id int);/' \
	"$P/migrations/001_nt.sql"
run up --resume --yes
is "$RC" 1 "a statement that already ran changed: resume refuses"
like "$ERR" 'changed since its run began, in a statement that already ran: statement 1 of the 1 that ran differs' \
	"and says which"
like "$OUT" '^t4: -CREATE TABLE d1 \(id int\)$' "shows the text that ran"
like "$OUT" '^t4: \+CREATE TABLE d1 \(id bigint\)$' "and the file's"
is "$(q r4 "SELECT to_regclass('d2') IS NULL AND to_regclass('d3') IS NULL")" t "nothing ran"
sed -i 's/^CREATE TABLE d1 (id bigint);/CREATE TABLE d1 (id int);/' "$P/migrations/001_nt.sql"
run up --resume --yes
is "$RC" 0 "only statements not yet run changed: resume goes on"
is "$(row nt 'state, statements_done, statements_total')" "applied|3|3" "applied, 3 of 3"
new_sum=$(row nt checksum)
[ "$new_sum" != "$old_sum" ] && pass "the row has the file's new checksum" || fail "the row has the file's new checksum"
like "$(q r4 "SELECT detail FROM pgstep.events WHERE action = 'resume'")" "\"previous_checksum\":\"$old_sum\"" \
	"the resume records the checksum the run began with"
check_exit 0 "verify" ps verify

# --- a connection lost under a statement ---------------------------------------
scenario r5 t5
mig 001_slow.sql <<'SQL'
-- migrate:up
CREATE TABLE slow_a (id int);
SELECT pg_sleep(30);
-- migrate:down
DROP TABLE slow_a;
SQL
start up --yes
backend active 'SELECT pg_sleep(30)' >/dev/null
q r5 "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgstep'" >/dev/null
wait "$PID"
RC=$?
ERR=$(cat "$P/bg.err")
is "$RC" 1 "a terminated backend: exit 1"
like "$ERR" 'connection lost during statement 2: 57P01: terminating connection due to administrator command \(migrations/001_slow\.sql:3\); its transaction was rolled back' \
	"the server's own error, the statement and what it left"
case $ERR in *"invalid socket"*) fail "not the bookkeeping's error" ;; *) pass "not the bookkeeping's error" ;; esac
is "$(printf '%s\n' "$ERR" | grep -o 'tenant t5' | wc -l | tr -d ' ')" 1 "the tenant is named once"
is "$(row slow 'state, sqlstate')" "failed|57P01" "recorded after connecting again"
is "$(events)" "fail" "with a fail event"
check_exit 0 "verify" ps verify

# --- first runs at once on a fresh database ------------------------------------
[ -n "${P:-}" ] && rm -rf "$P"
project_new "$TOP_SRCDIR/tests/lib"
rm -rf "$P/migrations"
mkdir "$P/migrations"
mig 001_a.sql <<'SQL'
-- migrate:up
CREATE TABLE a (id int);
-- migrate:down
DROP TABLE a;
SQL
for k in 1 2 3 4 5 6 7 8; do conf_tenant "s$k" r6 "s$k"; done
bad=0
for round in 1 2 3 4 5; do
	q postgres "DROP DATABASE IF EXISTS r6" >/dev/null
	pg_createdb r6
	pids=
	for k in 1 2 3 4 5 6 7 8; do
		(cd "$P" && exec "$PGSTEP" up --tenant "s$k" --yes) >"$P/c$k.out" 2>&1 </dev/null &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || bad=$((bad + 1)); done
done
is "$bad" 0 "8 first runs at once on 8 schema tenants, 5 rounds: every one succeeds"
[ "$bad" -eq 0 ] || diag "$(cat "$P"/c*.out)"
is "$(q r6 "SELECT count(*) FROM pgstep.migrations WHERE state = 'applied'")" 8 "each tenant applied once"
# Two runs on a tenant whose schema does not exist yet, made to meet: a
# session creating that schema holds both at CREATE SCHEMA until it rolls
# back. The tenant's lock must come first, so the second exits 4.
conf_tenant n1 r6 fresh_h
"$PG_BINDIR/psql" -X -q -d r6 -c "BEGIN; CREATE SCHEMA fresh_h; SELECT pg_sleep(60)" >/dev/null 2>&1 &
HOLDER=$!
wait_sql r6 10 "SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE 'BEGIN; CREATE SCHEMA fresh_h%' AND wait_event = 'PgSleep'" >/dev/null
(cd "$P" && exec "$PGSTEP" up --tenant n1 --yes) >"$P/d1.out" 2>&1 </dev/null &
A=$!
(cd "$P" && exec "$PGSTEP" up --tenant n1 --yes) >"$P/d2.out" 2>&1 </dev/null &
B=$!
# Both wait at CREATE SCHEMA (before the fix), or one waits and the other
# has exited (after it).
end=$(($(now_ms) + 10000))
while [ "$(now_ms)" -lt "$end" ]; do
	w=$(q r6 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgstep' AND wait_event_type = 'Lock'")
	gone=0
	kill -0 "$A" 2>/dev/null || gone=$((gone + 1))
	kill -0 "$B" 2>/dev/null || gone=$((gone + 1))
	{ [ "$w" -ge 2 ] || { [ "$w" -ge 1 ] && [ "$gone" -ge 1 ]; }; } && break
	sleep 0.05
done
q r6 "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'BEGIN; CREATE SCHEMA fresh_h%'" >/dev/null
wait "$HOLDER" 2>/dev/null
wait "$A"
ra=$?
wait "$B"
rb=$?
is "$(echo "$ra $rb" | tr ' ' '\n' | sort | tr '\n' ' ')" "0 4 " \
	"two runs on a tenant whose schema does not exist yet: one applies, the other exits 4"
[ "$ra$rb" = 04 ] || [ "$ra$rb" = 40 ] || diag "$(cat "$P/d1.out" "$P/d2.out")"
is "$(q r6 "SELECT count(*) FROM fresh_h.a")" 0 "the schema and its table exist once"

done_testing
