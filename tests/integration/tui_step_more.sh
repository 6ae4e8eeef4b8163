#!/bin/sh
# tui_step_more.sh: more of the interface's step runner against a real
# server (tui_step.sh has stepping, confirmations, undo, rollback and down):
# a statement waiting for a lock another session holds shows that session's
# pid and query; Ctrl-C (and C) cancels a running statement within a
# second; a lost terminal in the middle of an open transaction leaves the
# database and the event log consistent; a non-transactional migration
# failing at its second statement is dirty and `e` resumes it once the cause
# is fixed; a group apply over three tenants, one failing, goes on and says
# which failed and why (or stops there, and says which were not run). Each
# scenario has its own project, database and interface.
. "$TOP_SRCDIR/tests/lib/tui.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
. "$TOP_SRCDIR/tests/lib/step.sh"
step_begin step

# db_like DESC REGEX DB SQL: the same, the answer matching an extended regex.
db_like() {
	got=$(q "$3" "$4")
	printf '%s\n' "query: $4" "got:  $got" "want: /$2/" >"$T/screen"
	check "$1" matches "$got" "$2"
}
matches() { printf '%s\n' "$1" | grep -Eq -- "$2"; }
# pgstep's command line, its output kept for a failure.
cli() {
	ps "$@" >"$T/screen" 2>&1
}
# The step runner's session, between statements.
RUNNER="SELECT pid FROM pg_stat_activity WHERE application_name = 'pgstep' AND state LIKE 'idle in transaction%'"
events() { # events DB TENANT: its event actions, oldest first
	echo "SELECT string_agg(action, ',' ORDER BY seq) FROM pgstep.events WHERE tenant = '$2'"
}

# --- 7. a statement waiting for a lock shows who holds it -----------------------------------
scenario lockwait
conf_tenant acme lockwait acme
q lockwait "CREATE SCHEMA acme; CREATE TABLE acme.items (id int PRIMARY KEY, name text);
INSERT INTO acme.items SELECT g, 'item ' || g FROM generate_series(1, 100) g; ANALYZE acme.items;" >/dev/null
cat >"$P/migrations/001_flag.sql" <<'SQL'
-- pgstep:lock-timeout 1s
-- migrate:up
ALTER TABLE items ADD COLUMN flag boolean;
-- migrate:down
ALTER TABLE items DROP COLUMN flag;
SQL
# More retries than elsewhere: the blocker must end while the ALTER still tries.
sed -i 's/^lock_retries = .*/lock_retries = 4/' "$P/pgstep.conf"
tui_start 160 45 -c "$P/pgstep.conf"
check "acme has 1 pending" wait_for 'acme .*1 pending' 20
check "s opens 001_flag" run_key s 'Run: step on acme, 001_flag \(1 of 1\)'
keys x
check "the confirmation is open" wait_for 'Confirm statement 1 on acme'
check "no session is in the way yet" wait_for 'no other session holds or waits for a lock on it'
check "the lock_timeout in force, from the file's directive" \
	wait_for 'lock_timeout 1s \(pgstep:lock-timeout, 001_flag\.sql:1\),'
check "the retries in force, from pgstep.conf" wait_for '  then retried up to 4 times \(from pgstep\.conf:5\)'

# A session that read the table and stays in its transaction, as an
# application's forgotten one would (started after tmux, which must not
# hold its input open).
BLOCKER_APP=psql blocker_start lockwait "SELECT count(*) FROM acme.items;"
check "a session holds ACCESS SHARE on items in an open transaction" test -n "$BPID"
# (the query may wrap to the next row: dialogs wrap their prose)
check "the open dialog's facts are read again: it shows that session" \
	wait_for "pid $BPID \\(psql\\) holds AccessShareLock: we would wait for it" 5
check "with its user, state and query" \
	wait_for "user postgres, idle in transaction, transaction [0-9]+s, client local socket:"
check "and no longer says no session is in the way" wait_gone 'no other session holds or waits'
keys Right Enter
check "while the ALTER waits, the view shows it running" wait_for 'Running statement 1: [0-9]+\.[0-9] s' 5
check "and that it waits for a lock" wait_for 'Waiting for a lock held or requested first by:' 5
check "held by the blocking session's pid, user and state" \
	wait_for "  pid $BPID \\(psql\\) holds AccessShareLock on acme\\.items: we wait for it"
check "with its user, state and transaction age" \
	wait_for "    user postgres, idle in transaction, transaction [0-9]+s, client local socket:"
check "with that session's query" wait_for "    SELECT 'blocker pid ' \|\| pg_backend_pid\(\);"
check "after lock_timeout the log says it retries" \
	wait_for 'statement 1: lock not available \(55P03: .*\); retry 1' 5
check "the server agrees: the blocker blocks pgstep's ALTER" wait_sql lockwait 3 \
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'pgstep' AND $BPID = ANY (pg_blocking_pids(pid))"
# The blocker ends its transaction: the retry gets the lock.
printf '%s\n' "ROLLBACK;" >&3
check "once the blocker is gone, the ALTER runs" wait_for 'All statements of the open transaction ran \(1 of 1\)' 10
check "the waiting lines are gone" wait_gone 'Waiting for a lock held'
keys c
check "c commits" wait_for 'acme: 1 migration applied' 10
db_is "the column is there" 1 lockwait \
	"SELECT count(*) FROM information_schema.columns WHERE table_schema = 'acme' AND table_name = 'items' AND column_name = 'flag'"
db_like "the lock waits are events, between the confirmation and the apply" \
	'^confirm,(lock-wait,)+apply$' lockwait "$(events lockwait acme)"
keys q
check "q exits 0" wait_exit 0
printf '%s\n' '\q' >&3
exec 3>&-
kill "$BLOCKER" 2>/dev/null
BLOCKER=

# --- 8. Ctrl-C and C cancel a running statement --------------------------------------------
scenario cancel
conf_tenant acme cancel acme
q cancel "CREATE SCHEMA acme" >/dev/null
cat >"$P/migrations/001_slow.sql" <<'SQL'
-- migrate:up
CREATE TABLE s1 (id int);
SELECT pg_sleep(30);
-- migrate:down
DROP TABLE s1;
SQL
SLEEPING="SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgstep' AND state = 'active' AND query = 'SELECT pg_sleep(30)'"
tui_start 160 45 -c "$P/pgstep.conf"
check "acme has 1 pending" wait_for 'acme .*1 pending' 20
check "s opens the migration" run_key s 'Next: statement 1 of 2'
keys x
check "statement 1 runs" wait_for 'Next: statement 2 of 2'
keys x
check "statement 2 is running, its time shown" wait_for 'Running statement 2: [0-9]+\.[0-9] s'
check "with how to cancel it" wait_for 'C or Ctrl-C cancels it'
check "the server runs the pg_sleep" wait_sql cancel 5 "SELECT ($SLEEPING) = 1"
t0=$(now_ms)
keys C-c
wait_for 'Statement 2 was cancelled and was rolled back to its savepoint:' 5
t1=$(now_ms)
check "Ctrl-C cancels it within 1.5 s ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 1500
check "the view says it was cancelled" wait_for 'Statement 2 was cancelled and was rolled back to its savepoint:'
check "with the server's SQLSTATE" wait_for '57014: canceling statement due to user request'
check "and what can be done next" wait_for 'x retries it  u gives it up .*B rolls back the migration'
check "the statement is marked failed" wait_for ' ✗  2  line 3 +SELECT pg_sleep\(30\)'
db_is "the server no longer runs it" 0 cancel "$SLEEPING"
db_is "the transaction is still open, at statement 1" "idle in transaction" cancel \
	"SELECT state FROM pg_stat_activity WHERE pid IN ($RUNNER)"
keys x
check "x retries it" wait_for 'Running statement 2: '
check "the server runs it again" wait_sql cancel 5 "SELECT ($SLEEPING) = 1"
t0=$(now_ms)
keys C
wait_for 'Statement 2 was cancelled' 5
t1=$(now_ms)
check "C cancels it too, within 1.5 s ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 1500
keys B
check "B rolls the migration back" wait_for '001_slow on acme: rolled back on request' 10
db_is "table s1 does not exist" "" cancel "SELECT to_regclass('acme.s1')"
db_is "the two cancels are events, then the discard" cancel,cancel,discard cancel "$(events cancel acme)"
db_is "no state row" none cancel "$(state_of acme 1)"
keys q
check "q exits 0 (Ctrl-C did not end pgstep)" wait_exit 0

# --- 9. the terminal goes away in the middle of an open transaction -------------------------
scenario hangup
conf_tenant acme hangup acme
q hangup "CREATE SCHEMA acme" >/dev/null
cat >"$P/migrations/001_two.sql" <<'SQL'
-- migrate:up
CREATE TABLE k1 (id int);
CREATE TABLE k2 (id int);
-- migrate:down
DROP TABLE k2;
DROP TABLE k1;
SQL
tui_start 160 45 -c "$P/pgstep.conf"
check "acme has 1 pending" wait_for 'acme .*1 pending' 20
check "s opens the migration" run_key s 'Next: statement 1 of 2'
keys x
check "statement 1 of 2 ran" wait_for 'Next: statement 2 of 2'
db_is "its transaction is open" 1 hangup "SELECT count(*) FROM ($RUNNER) r"
pgstep_running() {
	pgrep -f "$PGSTEP -c $P/pgstep.conf" >"$T/screen"
}
check "pgstep is running (seen by pgrep)" pgstep_running
$TMUX_CMD kill-session -t "$S"
pgstep_gone() {
	i=0
	while pgrep -f "$PGSTEP -c $P/pgstep.conf" >/dev/null; do
		[ $i -lt 200 ] || return 1
		sleep 0.05
		i=$((i + 1))
	done
	wait_sql hangup 10 "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'pgstep'"
}
check "killing the terminal ends pgstep and its sessions" pgstep_gone
db_is "statement 1's table does not exist" "" hangup "SELECT to_regclass('acme.k1')"
db_is "no applied row" none hangup "$(state_of acme 1)"
db_is "the rollback is recorded: a discard event" discard hangup "$(events hangup acme)"
db_is "the discard names the migration and its direction" "two up" hangup \
	"SELECT (detail::json->>'name') || ' ' || (detail::json->>'direction') FROM pgstep.events WHERE tenant = 'acme' AND action = 'discard'"
db_is "no advisory lock is left" 0 hangup "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
check "pgstep verify --tenant acme exits 0 (chain intact)" cli verify --tenant acme
hist_has_discard() {
	ps history --tenant acme >"$T/screen" 2>&1 && grep -q discard "$T/screen"
}
check "pgstep history shows the discard" hist_has_discard

# --- 10. a non-transactional migration, dirty, then resumed ----------------------------------
scenario dirty
conf_tenant nt dirty nt
q dirty "CREATE SCHEMA nt" >/dev/null
cat >"$P/migrations/001_nontx.sql" <<'SQL'
-- migrate:up transaction:false
CREATE TABLE t2 (id int);
CREATE INDEX CONCURRENTLY t2_idx ON t2 (nosuch);
-- migrate:down
DROP TABLE t2;
SQL
tui_start 160 45 -c "$P/pgstep.conf"
check "nt has 1 pending" wait_for 'nt .*1 pending' 20
check "s opens 001_nontx" run_key s 'Run: step on nt, 001_nontx \(1 of 1\)'
check "the view says it runs outside a transaction" \
	wait_for 'Runs outside a transaction, statement by statement: a statement cannot be undone'
check "each statement says so" wait_for 'CREATE TABLE t2 \(id int\)  \(no transaction\)'
keys x
check "x runs statement 1" wait_for 'Next: statement 2 of 2'
db_is "outside a transaction, table t2 is visible at once" nt.t2 dirty "SELECT to_regclass('nt.t2')"
keys x
check "statement 2 fails: the outcome says so, with the SQLSTATE" \
	wait_for 'failed: 42703: column "nosuch" does not exist' 10
check "the message line says the state is dirty" wait_for 'state is dirty'
check "the tenant's badge says dirty" wait_for 'nt +.*dirty'
db_is "its state is dirty, 1 of 2 statements done" "dirty 1/2" dirty \
	"SELECT state || ' ' || statements_done || '/' || statements_total FROM pgstep.migrations WHERE tenant = 'nt'"
# The cause is fixed by hand; e resumes at statement 2.
q dirty "ALTER TABLE nt.t2 ADD COLUMN nosuch int" >/dev/null
keys Escape
check "e resumes the dirty migration in step mode" run_key e 'Run: resume on nt, 001_nontx \(1 of 1\)'
check "statement 1 is done, statement 2 is next" wait_for 'Next: statement 2 of 2'
check "statement 1 is marked done" wait_for ' ✓  1  line 2 +CREATE TABLE t2'
keys x
check "x runs statement 2: the migration is applied" wait_for 'nt: 1 migration applied' 10
check "the tenant is up to date" wait_for 'nt +.*up to date'
db_is "its state is applied" applied dirty "$(state_of nt 1)"
db_is "the index exists" nt.t2_idx dirty "SELECT to_regclass('nt.t2_idx')"
keys q
check "q exits 0" wait_exit 0

# --- 10b. resuming past an index an interrupted build left INVALID asks first ------------------
scenario inval
conf_tenant iv inval iv
q inval "CREATE SCHEMA iv; CREATE TABLE iv.dup (id int); INSERT INTO iv.dup VALUES (1), (1)" >/dev/null
# A unique build that failed half-way leaves its index INVALID.
q inval "CREATE UNIQUE INDEX CONCURRENTLY dup_id ON iv.dup (id)" >/dev/null 2>&1
cat >"$P/migrations/001_idx.sql" <<'SQL'
-- migrate:up
CREATE INDEX CONCURRENTLY IF NOT EXISTS dup_id ON dup (id);
-- migrate:down
DROP INDEX CONCURRENTLY dup_id;
SQL
check "up stops on the INVALID index: exit 1" sh -c "cd '$P' && '$PGSTEP' up --yes >'$T/screen' 2>&1; test \$? -eq 1"
db_is "dirty before statement 1" "dirty 0/1" inval \
	"SELECT state || ' ' || statements_done || '/' || statements_total FROM pgstep.migrations WHERE tenant = 'iv'"
tui_start 160 45 -c "$P/pgstep.conf"
check "iv is dirty" wait_for 'iv +.*dirty' 20
check "e asks before dropping the index" run_key e 'Resume: an index was left INVALID'
check "the dialog names the index and the statement" wait_for 'statement 1 \(CREATE INDEX CONCURRENTLY\) left index dup_id INVALID'
check "the focus starts on Cancel" wait_for '\[ Cancel \] +Drop it and build it again'
keys Enter
check "Cancel runs nothing" wait_for 'nothing was run'
db_is "the index is still there, INVALID" f inval "SELECT indisvalid FROM pg_index WHERE indexrelid = 'iv.dup_id'::regclass"
check "e asks again" run_key e 'Resume: an index was left INVALID'
keys Tab Enter
check "dropping it opens the run" wait_for 'Run: resume on iv, 001_idx \(1 of 1\)' 10
keys x
check "x asks to confirm the index build" wait_for 'Confirm statement 1 on iv'
keys Tab Enter
check "Run it builds it again: the migration is applied" wait_for 'iv: 1 migration applied' 15
db_is "the index is valid" t inval "SELECT indisvalid FROM pg_index WHERE indexrelid = 'iv.dup_id'::regclass"
db_like "the event log has the decision" 'resolve.*drop-and-rebuild' inval \
	"SELECT string_agg(action || ' ' || coalesce(detail, ''), ' | ' ORDER BY seq) FROM pgstep.events WHERE tenant = 'iv'"
keys q
check "q exits 0" wait_exit 0

# --- 10c. a connection lost in the middle of an open transaction -------------------------------
# The confirmation given inside the transaction is written with the failure,
# after pgstep connects again; the server's error is what the DBA reads.
scenario lost
conf_tenant lt lost lt
q lost "CREATE SCHEMA lt; CREATE TABLE lt.items (id int); INSERT INTO lt.items SELECT generate_series(1, 100)" >/dev/null
cat >"$P/migrations/001_slow.sql" <<'SQL'
-- migrate:up
ALTER TABLE items ADD COLUMN flag boolean;
SELECT pg_sleep(60);
-- migrate:down
ALTER TABLE items DROP COLUMN flag;
SQL
tui_start 160 45 -c "$P/pgstep.conf"
check "lt has 1 pending" wait_for 'lt .*1 pending' 20
check "s opens 001_slow" run_key s 'Run: step on lt, 001_slow \(1 of 1\)'
keys x
check "x asks to confirm the ALTER" wait_for 'Confirm statement 1 on lt'
keys Tab Enter
check "Run it runs statement 1" wait_for 'Next: statement 2 of 2'
keys x
db_like "statement 2 is running" '^[0-9]+$' lost \
	"SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'"
q lost "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'" >/dev/null
check "the outcome is the server's error, not the bookkeeping's" \
	wait_for 'connection lost during statement 2: 57P01' 15
db_is "after connecting again: the confirmation, then the failure" "confirm,fail" lost \
	"SELECT string_agg(action, ',' ORDER BY seq) FROM pgstep.events WHERE tenant = 'lt'"
db_is "the row says failed, with the server's SQLSTATE" "failed 57P01" lost \
	"SELECT state || ' ' || sqlstate FROM pgstep.migrations WHERE tenant = 'lt'"
db_is "nothing of it stayed" "" lost \
	"SELECT attname FROM pg_attribute WHERE attrelid = 'lt.items'::regclass AND attname = 'flag'"
keys q
check "q exits 0" wait_exit 0

# --- 11. a group apply over three tenants, one failing -----------------------------------------
scenario grp
conf_tenant g1 grp g1 grp=x
conf_tenant g2 grp g2 grp=x
conf_tenant g3 grp g3 grp=x
conf_tenant other grp other
# g2 already has a table t: its CREATE TABLE t fails.
q grp "CREATE SCHEMA g1; CREATE SCHEMA g2; CREATE SCHEMA g3; CREATE SCHEMA other;
CREATE TABLE g2.t (x int)" >/dev/null
cat >"$P/migrations/001_t.sql" <<'SQL'
-- migrate:up
CREATE TABLE t (id int);
-- migrate:down
DROP TABLE t;
SQL
tui_start 160 45 -c "$P/pgstep.conf"
check "the tenants are loaded" wait_for 'other .*1 pending' 20
command_line "tenant g2"
check "g2 selected" wait_for 'Migrations of g2'
keys m
check "m marks the selected tenant" wait_for '1 tenant marked for a group apply'
check "a * before its name" wait_for '\*g2 '
command_line "mark none"
check ":mark none clears the marks" wait_for '0 tenants marked'
command_line "mark grp=x"
check ":mark grp=x marks the three tenants with that label" wait_for '3 tenants marked for a group apply'
check "each has its *" wait_for '\*g3 '
check "not the other one" wait_for '  other '
keys M
check "M asks first, listing the marked tenants" wait_for 'to 3 tenants, one after another\?'
check "each with what it would apply (issue 11)" wait_for '  g2 +pending +1 to apply, 0 applied'
check "with the three choices" wait_for '\[ Cancel \] +Stop at the first failure +Go on after a failure'
keys Right Right
check "the focus moves to Go on after a failure" wait_for '\[ Go on after a failure \]'
keys Enter
# No key from here: going on after a failure is the group's choice.
check "the group goes on after g2's failure, to the end, by itself" \
	wait_for 'Group apply: 3 of 3 tenants done' 15
check "the summary: g1 succeeded" wait_for '  ✓ g1 +g1: 1 migration applied'
check "g3 succeeded" wait_for '  ✓ g3 +g3: 1 migration applied'
check "g2 failed, with its error" wait_for '  ✗ g2 .*(42P07|relation "t" already exists)'
check "the message line: 2 of 3 succeeded" wait_for 'group apply: 2 of 3 tenants succeeded'
check "the group's outcome line does not mark it a success" wait_gone '✓ group apply: 2 of 3' 1
db_is "g1 and g3 are applied, g2 not" "g1=applied,g3=applied" grp \
	"SELECT string_agg(tenant || '=' || state, ',' ORDER BY tenant) FROM pgstep.migrations WHERE state = 'applied'"
db_is "g2's failure is an event" t grp \
	"SELECT count(*) > 0 FROM pgstep.events WHERE tenant = 'g2' AND action = 'statement-error'"
db_is "the other tenant was not touched" "" grp "SELECT to_regclass('other.t')"
check "g2 still has 1 pending" wait_for 'g2 .*(1 pending|failed)'
check "g1 is up to date" wait_for 'g1 .*up to date'
keys q
check "q exits 0" wait_exit 0

# Stop at the first failure: a second migration fails on g2 again; g3 is
# not run, and the summary says so.
cat >"$P/migrations/002_u.sql" <<'SQL'
-- migrate:up
CREATE TABLE u (id int);
-- migrate:down
DROP TABLE u;
SQL
q grp "CREATE TABLE g2.u (x int)" >/dev/null
S=grp2
tui_start 160 45 -c "$P/pgstep.conf"
check "g1 has 1 pending" wait_for 'g1 .*1 pending' 20
command_line "apply-group"
check "M with no tenant marked says so" wait_for 'no tenant is marked'
command_line "mark grp=x"
wait_for '3 tenants marked' >/dev/null
command_line "apply-group 002"
check ":apply-group VERSION asks for the migrations up to it" \
	wait_for 'Apply up to 002_u to 3 tenants, one after another\?'
keys Right
check "the focus is on Stop at the first failure" wait_for '\[ Stop at the first failure \]'
keys Enter
check "the group stops after g2's failure by itself, with its summary" \
	wait_for 'Group apply: 3 of 3 tenants done' 10
check "g1 succeeded" wait_for '  ✓ g1 +g1: 1 migration applied'
check "g2 failed" wait_for '  ✗ g2 '
check "g3 was not run: stopped at the first failure" wait_for 'g3 +not run: stopped at the first failure'
check "the message line: 1 of 3 succeeded" wait_for 'group apply: 1 of 3 tenants succeeded'
db_is "only g1 has 002" g1 grp \
	"SELECT string_agg(tenant, ',') FROM pgstep.migrations WHERE ltrim(version, '0') = '2' AND state = 'applied'"
db_is "g3 has no table u" "" grp "SELECT to_regclass('g3.u')"
keys q
check "q exits 0" wait_exit 0
# --- a long migration at 80x24: the log stays on the screen --------------------------
# 30 statements: the run view shows those around the current one and counts
# the rest, so the position and the newest log lines are not pushed below
# the pane (issue 11).
scenario longrun
conf_tenant acme longrun acme
q longrun "CREATE SCHEMA acme" >/dev/null
i=1
while [ $i -le 30 ]; do
	echo "CREATE TABLE t$i (id int);"
	i=$((i + 1))
done >"$P/migrations/001_long.sql"
S=longrun
tui_start 80 24 -c "$P/pgstep.conf"
check "acme has 1 pending" wait_for 'acme .*1 pending' 20
check "s opens the long migration in step mode" run_key s 'Applying 001_long on acme: 30'
k=0
while [ $k -lt 14 ]; do
	keys x
	k=$((k + 1))
	wait_for "statement $k done in" >/dev/null
done
check "the statements before the current ones are counted" \
	wait_for '\.\.\. statements 1 to 12 before \(done\)'
check "as are those after" wait_for '\.\.\. statements 21 to 30 after'
check "the newest log line is on the screen, with them" wait_for 'last: statement 14 done in [0-9]+ ms'
keys B
wait_for 'rolled back' >/dev/null
keys q
check "q exits 0" wait_exit 0

done_testing
