#!/bin/sh
# tui_safety.sh: what the DBA sees before and while pgstep holds locks
# (issue 11, section 1): x after the last statement does not commit; s on a
# later migration shows the plan first; the confirmation names a session
# holding a lock on every relation the statement locks, not only the first.
# Each scenario has its own project, database and interface.
. "$TOP_SRCDIR/tests/lib/tui.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
. "$TOP_SRCDIR/tests/lib/step.sh"
step_begin safety

# --- 1. s on a later migration shows the plan; x after the last statement does not commit ---
scenario steps
conf_tenant acme steps acme
q steps "CREATE SCHEMA acme;" >/dev/null
printf '%s\n' '-- migrate:up' 'CREATE TABLE one (id int);' '-- migrate:down' 'DROP TABLE one;' \
	>"$P/migrations/001_one.sql"
printf '%s\n' '-- migrate:up' 'CREATE TABLE two (id int);' '-- migrate:down' 'DROP TABLE two;' \
	>"$P/migrations/002_two.sql"
tui_start 160 45 -c "$P/pgstep.conf"
check "acme has 2 pending" wait_for 'acme .*2 pending' 20
command_line "goto 002"
check "002_two is selected" wait_for '─ 002_two ─'
check "s on 002 shows the plan of both migrations first" \
	run_key s 'Step through 2 migrations to acme\?'
check "the plan lists 001, which s would run first" wait_for ' 1\. 001_one'
check "and 002" wait_for ' 2\. 002_two'
check "Cancel has the focus" wait_for '\[ Cancel \] +Step'
keys Enter
check "Cancel runs nothing" wait_for 'nothing was run'
db_is "001 was not run" none steps "$(state_of acme 1)"
check "s again" run_key s 'Step through 2 migrations to acme\?'
keys Right Enter
check "Step opens 001 in step mode (it still stops before each statement)" \
	wait_for 'Next: statement 1 of 1'
keys x
check "x runs the only statement" wait_for 'All statements of the open transaction ran \(1 of 1\)'
db_is "the runner holds ACCESS EXCLUSIVE on the table it created (invisible to others)" 1 steps \
	"SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
	  WHERE a.application_name = 'pgstep' AND l.locktype = 'relation' AND l.granted
	    AND l.mode = 'AccessExclusiveLock' AND l.relation NOT IN (SELECT oid FROM pg_class)"
sleep 1.5 # three looks of the watch; the banner must not come
check "a table the run created is nobody else's: no banner" wait_gone 'HOLDING' 1
keys x
check "x after the last statement says c commits" wait_for 'all statements ran: c commits'
check "and the run stays open" wait_for 'All statements of the open transaction ran \(1 of 1\)'
db_is "x did not commit: 001 is not applied" none steps "$(state_of acme 1)"
db_is "table one is not visible to another session" "" steps "SELECT to_regclass('acme.one')"
keys c
check "c commits 001 and the step goes on to 002" wait_for 'Run: step on acme, 002_two \(2 of 2\)' 10
check "which waits before its statement" wait_for 'Next: statement 1 of 1'
db_is "001 is applied" applied steps "$(state_of acme 1)"
db_is "002 is not" none steps "$(state_of acme 2)"
keys B
check "B ends the run" wait_for 'Esc closes this view' 10
db_is "002 was not applied" none steps "$(state_of acme 2)"
keys q
check "q exits 0" wait_exit 0 10

# --- 2. the confirmation looks at every relation the statement locks --------------------------
# DROP INDEX locks the index and its table: a session holding ACCESS SHARE
# on the table only (LOCK TABLE: not on the index) is in the way, and the
# dialog must name it. The index is not in the set: the catalogue says
# which table it belongs to.
scenario rels
conf_tenant acme rels acme
q rels "CREATE SCHEMA acme; CREATE TABLE acme.items (id int PRIMARY KEY, name text);
CREATE INDEX items_name ON acme.items (name);
CREATE TABLE acme.orders (id int PRIMARY KEY, item int);
INSERT INTO acme.items SELECT g, 'item ' || g FROM generate_series(1, 100) g; ANALYZE acme.items;" >/dev/null
printf '%s\n' '-- migrate:up' 'DROP INDEX items_name;' \
	'ALTER TABLE orders ADD CONSTRAINT orders_item_fk FOREIGN KEY (item) REFERENCES items (id) NOT VALID;' \
	'-- migrate:down' 'ALTER TABLE orders DROP CONSTRAINT orders_item_fk;' \
	'CREATE INDEX items_name ON items (name);' >"$P/migrations/001_drop.sql"
printf '%s\n' '-- migrate:up' 'ALTER TABLE orders VALIDATE CONSTRAINT orders_item_fk;' \
	>"$P/migrations/002_validate.sql"
blocker_start rels "LOCK TABLE acme.items IN ACCESS SHARE MODE;"
check "a session holds ACCESS SHARE on the index's table (and not on the index)" test -n "$BPID"
db_is "pg_locks: the blocker holds nothing on the index" 0 rels \
	"SELECT count(*) FROM pg_locks WHERE pid = $BPID AND relation = 'acme.items_name'::regclass"
tui_start 160 50 -c "$P/pgstep.conf"
check "acme has 2 pending" wait_for 'acme .*2 pending' 20
check "s opens 001_drop" run_key s 'Run: step on acme, 001_drop \(1 of 1\)'
keys x
check "the confirmation is open" wait_for 'Confirm statement 1 on acme'
check "it names the lock on the index's table" \
	wait_for 'Lock ACCESS EXCLUSIVE on acme\.items: blocks every read and write'
check "and the lock on the index" wait_for 'Lock ACCESS EXCLUSIVE on acme\.items_name:'
check "the table's size" wait_for '  acme\.items: [0-9.]+ [kM]?B, about 100 rows'
check "it names the session holding ACCESS SHARE on the table: we would wait for it" \
	wait_for "pid $BPID \(reporting\) holds AccessShareLock: we would wait for it"
check "with its user, state and client" \
	wait_for "user postgres, idle in transaction, transaction [0-9]+s, client local socket:"
check "and its query" wait_for "      SELECT 'blocker pid ' \|\| pg_backend_pid\(\)"
keys Enter
check "Cancel runs nothing" wait_for 'statement 1 not run'
blocker_stop
keys B
check "B ends the run" wait_for 'Esc closes this view' 10
keys Escape
# The foreign key: ADD CONSTRAINT locks both sides; the set says which
# table it references, and VALIDATE names that table's lock too.
blocker_start rels "LOCK TABLE acme.items IN ACCESS SHARE MODE;"
check "s opens 001_drop again" run_key s 'Run: step on acme, 001_drop \(1 of 1\)'
keys x
check "the confirmation of the DROP INDEX" wait_for 'Confirm statement 1 on acme'
keys Right Enter
check "the DROP INDEX waits for the blocker" wait_for 'Running statement 1' 5
blocker_stop
check "and runs once it is gone" wait_for 'Next: statement 2 of 2' 10
keys x
check "the ADD FOREIGN KEY is confirmed" wait_for 'Confirm statement 2 on acme'
check "it names the lock on the referencing table" wait_for 'Lock SHARE ROW EXCLUSIVE on acme\.orders'
check "and on the referenced one" wait_for 'Lock SHARE ROW EXCLUSIVE on acme\.items'
keys Right Enter
check "it runs" wait_for 'All statements of the open transaction ran \(2 of 2\)' 10
keys c
check "c commits 001" wait_for 'acme: 1 migration applied' 10
keys Escape
check "s opens 002_validate" run_key s 'Run: step on acme, 002_validate \(1 of 1\)'
keys x
check "the VALIDATE is confirmed" wait_for 'Confirm statement 1 on acme' 5
check "it names the referenced table's lock" wait_for 'Lock ROW SHARE on acme\.items'
keys Right Enter
check "it runs" wait_for 'All statements of the open transaction ran \(1 of 1\)' 10
keys c
check "c commits" wait_for 'acme: 1 migration applied' 10
keys q
check "q exits 0" wait_exit 0 10

# --- 2b. DROP INDEX CONCURRENTLY: the table's SHARE UPDATE EXCLUSIVE first --------------------
scenario dic
conf_tenant acme dic acme
q dic "CREATE SCHEMA acme; CREATE TABLE acme.items (id int PRIMARY KEY, name text);
CREATE INDEX items_name ON acme.items (name);" >/dev/null
printf '%s\n' '-- migrate:up transaction:false' 'DROP INDEX CONCURRENTLY items_name;' \
	>"$P/migrations/001_dic.sql"
tui_start 160 50 -c "$P/pgstep.conf"
check "acme has 1 pending" wait_for 'acme .*1 pending' 20
check "s opens 001_dic" run_key s 'Run: step on acme, 001_dic \(1 of 1\)'
keys x
check "the drop is confirmed" wait_for 'Confirm statement 1 on acme' 5
check "it shows SHARE UPDATE EXCLUSIVE on the table" \
	wait_for 'Lock SHARE UPDATE EXCLUSIVE on acme\.items: blocks other schema changes and VACUUM'
check "and says the index's own ACCESS EXCLUSIVE comes last" \
	wait_for 'Lock ACCESS EXCLUSIVE on acme\.items_name: the index itself, taken last, once no transaction'
check "the table's lock comes first" sh -c "grep -n 'Lock ' '$T/screen' | head -1 | grep -q 'SHARE UPDATE EXCLUSIVE on acme.items:'"
keys Enter
check "Cancel runs nothing" wait_for 'statement 1 not run'
keys B
check "B stops the run" wait_for 'Esc closes this view' 10
keys q
check "q exits 0" wait_exit 0 10

# --- 3. step mode holding a strong lock: the banner, the guard, the times --------------------
scenario hold
conf_tenant acme hold acme
sed -i 's/^\[defaults\]$/[defaults]\nhold_limit = 2s/' "$P/pgstep.conf"
q hold "CREATE SCHEMA acme; CREATE TABLE acme.items (id int PRIMARY KEY, name text);
INSERT INTO acme.items SELECT g, 'item ' || g FROM generate_series(1, 100) g; ANALYZE acme.items;" >/dev/null
printf '%s\n' '-- migrate:up' 'ALTER TABLE items ADD COLUMN flag boolean;' \
	'-- migrate:down' 'ALTER TABLE items DROP COLUMN flag;' >"$P/migrations/001_flag.sql"
tui_start 160 50 -c "$P/pgstep.conf"
check "acme has 1 pending" wait_for 'acme .*1 pending' 20
check "s opens 001_flag" run_key s 'Run: step on acme, 001_flag \(1 of 1\)'
check "no banner before anything ran" wait_for 'Next: statement 1 of 1'
check "(nothing held yet)" wait_gone 'HOLDING'
printf '%s\n' "runner's last query: $(q hold "SELECT query FROM pg_stat_activity WHERE application_name = 'pgstep' AND state LIKE 'idle in transaction%'")" >"$T/screen"
check "the step transaction bounds idle_in_transaction_session_timeout, above the guard (60 s)" \
	grep -q 'SET LOCAL idle_in_transaction_session_timeout = 60000' "$T/screen"
keys x
check "the ALTER is confirmed" wait_for 'Confirm statement 1 on acme'
keys Right Enter
check "the ALTER ran" wait_for 'All statements of the open transaction ran \(1 of 1\)' 10
check "the banner names the lock held and counts" \
	wait_for 'HOLDING ACCESS EXCLUSIVE on acme\.items for [0-9]+\.[0-9] s' 5
check "nobody is queued yet" wait_for 'no session is queued behind us yet'
# An application's SELECT queues behind our lock.
"$PG_BINDIR/psql" -X -At -d hold -c "SET application_name = shop" \
	-c "SELECT count(*) FROM acme.items" >"$BASE/waiter.out" 2>&1 &
WAITER=$!
check "the banner says a session is queued behind us, and what it waits for" \
	wait_for '1 session queued behind us; the oldest waits [0-9]+s for AccessShareLock:' 5
check "its pid, application_name, user and client" \
	wait_for 'pid [0-9]+ \(shop\), user postgres, client local socket:'
check "and its query" wait_for '    SELECT count\(\*\) FROM acme\.items'
check "past hold_limit it says so loudly and offers to roll back" \
	wait_for 'PAST hold_limit \(2s\): B rolls back now' 5
check "the message line says it too" wait_for 'locks held longer than hold_limit 2s: B rolls back'
db_is "the server agrees: the SELECT waits for pgstep" 1 hold \
	"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'shop' AND wait_event_type = 'Lock'"
keys c
check "c commits: the times are said apart" \
	wait_for '001_flag applied: transaction open [0-9]+\.[0-9] s, statements [0-9]+ ms, locks held [0-9]+\.[0-9] s' 10
check "the waiter got through" wait_sql hold 5 \
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'shop'"
wait "$WAITER"
check "the banner is gone" wait_gone 'HOLDING'
keys q
check "q exits 0" wait_exit 0 10

# --- 4. act on the blocker from the wait screen; the lock-wait event names it ----------------
scenario blocker
conf_tenant acme blocker acme
sed -i 's/^lock_retries = .*/lock_retries = 8/' "$P/pgstep.conf"
q blocker "CREATE SCHEMA acme; CREATE TABLE acme.items (id int PRIMARY KEY, name text);" >/dev/null
printf '%s\n' '-- migrate:up' 'ALTER TABLE items ADD COLUMN flag boolean;' \
	'-- migrate:down' 'ALTER TABLE items DROP COLUMN flag;' >"$P/migrations/001_flag.sql"
blocker_start blocker "LOCK TABLE acme.items IN ACCESS SHARE MODE;"
check "a reporting session holds ACCESS SHARE on items" test -n "$BPID"
tui_start 160 50 -c "$P/pgstep.conf"
check "acme has 1 pending" wait_for 'acme .*1 pending' 20
check "s opens 001_flag" run_key s 'Run: step on acme, 001_flag \(1 of 1\)'
keys x
check "the ALTER is confirmed" wait_for 'Confirm statement 1 on acme'
keys Right Enter
check "the wait screen says who holds what, and that we wait for it" \
	wait_for "pid $BPID \\(reporting\\) holds AccessShareLock on acme\\.items: we wait for it" 5
check "it offers K" wait_for "K cancels pid $BPID's query or terminates its session"
check "a lock wait is recorded" wait_for 'statement 1: lock not available' 5
keys K
check "K asks first, naming the pid" wait_for "Act on pid $BPID, which statement 1 waits for\\?" 5
check "with user, application_name and client" \
	wait_for "pid $BPID, user postgres, application_name reporting, client local socket"
check "its lock and state" wait_for 'holds AccessShareLock on acme\.items; idle in transaction'
check "and its query" wait_for "query: SELECT 'blocker pid ' \\|\\| pg_backend_pid\\(\\)"
check "it says that cancelling does nothing to an idle session" wait_for 'It is idle: cancelling does nothing'
check "the focus is on Leave it" wait_for '\[ Leave it \]'
keys Enter
check "Leave it does nothing" wait_for "pid $BPID left alone"
db_is "the blocker is still there" 1 blocker "SELECT count(*) FROM pg_stat_activity WHERE pid = $BPID"
keys K
check "K again" wait_for "Act on pid $BPID" 5
keys Right Right Enter
check "Terminate ends its session" wait_for "pid $BPID: terminated" 5
check "and the ALTER goes through" wait_for 'All statements of the open transaction ran \(1 of 1\)' 10
db_is "the blocker's session is gone" 0 blocker "SELECT count(*) FROM pg_stat_activity WHERE pid = $BPID"
exec 3>&-
wait "$BLOCKER" 2>/dev/null
BLOCKER=
keys c
check "c commits" wait_for 'acme: 1 migration applied' 10
db_is "the lock-wait event names the blocker: pid, user, application, lock, relation, query" \
	"$BPID|postgres|reporting|AccessShareLock|acme.items|t" blocker \
	"SELECT b->>'pid', b->>'user', b->>'application', b->>'lock', b->>'relation', (b->>'query') LIKE 'SELECT ''blocker pid%'
	   FROM pgstep.events e, jsonb_array_elements(e.detail::jsonb->'blockers') b
	  WHERE e.tenant = 'acme' AND e.action = 'lock-wait' ORDER BY e.seq LIMIT 1"
db_is "the termination is an event, naming the session" "$BPID|reporting" blocker \
	"SELECT detail::jsonb->'terminated'->>'pid', detail::jsonb->'terminated'->>'application'
	   FROM pgstep.events WHERE tenant = 'acme' AND action = 'blocker-terminated'"
keys q
check "q exits 0" wait_exit 0 10

# --- 5. preflight reaches the interface -------------------------------------------------------
# The UPDATE takes only ROW EXCLUSIVE and has no finding that asks; its
# CASE ... ELSE sends 10 'legacy' rows to 'active' without a word: the
# check that plan --preflight runs finds them, and the statement asks.
scenario pre
conf_tenant acme pre acme
q pre "CREATE SCHEMA acme; CREATE TABLE acme.accounts (id int PRIMARY KEY, status text);
INSERT INTO acme.accounts SELECT g, CASE WHEN g <= 5 THEN 'a' ELSE 'legacy' END FROM generate_series(1, 15) g;
ANALYZE acme.accounts;" >/dev/null
printf '%s\n' '-- migrate:up' \
	"UPDATE accounts SET status = CASE status WHEN 'a' THEN 'active' WHEN 'b' THEN 'blocked' ELSE 'active' END WHERE id > 0;" \
	>"$P/migrations/001_status.sql"
tui_start 160 50 -c "$P/pgstep.conf"
check "acme has 1 pending" wait_for 'acme .*1 pending' 20
check "s opens 001_status" run_key s 'Run: step on acme, 001_status \(1 of 1\)'
check "the log says the preflight ran" wait_for 'preflight of 001_status: 1 check, 1 finding rows'
keys x
check "the UPDATE, which only takes ROW EXCLUSIVE, asks: its check found rows" \
	wait_for 'Confirm statement 1 on acme' 5
check "the confirmation shows the check and how many rows" wait_for 'Preflight case-else: 10 rows:'
check "with the values" wait_for '  legacy'
check "and what happens to them" wait_for 'the statement changes them without a word'
keys Enter
check "Cancel runs nothing" wait_for 'statement 1 not run'
db_is "nothing changed" 10 pre "SELECT count(*) FROM acme.accounts WHERE status = 'legacy'"
keys B
check "B ends the run" wait_for 'Esc closes this view' 10
keys q
check "q exits 0" wait_exit 0 10

# --- 6. an INVALID index that CREATE INDEX CONCURRENTLY IF NOT EXISTS would keep ---------------
scenario inval
conf_tenant acme inval acme
q inval "CREATE SCHEMA acme; CREATE TABLE acme.items (id int PRIMARY KEY, name text);
INSERT INTO acme.items SELECT g, 'same' FROM generate_series(1, 20) g;" >/dev/null
# A unique build over duplicates fails and leaves the index INVALID.
q inval "CREATE UNIQUE INDEX CONCURRENTLY items_name ON acme.items (name)" >/dev/null 2>&1
db_is "acme.items_name is INVALID" f inval \
	"SELECT indisvalid FROM pg_index WHERE indexrelid = 'acme.items_name'::regclass"
printf '%s\n' '-- migrate:up transaction:false' \
	'CREATE INDEX CONCURRENTLY IF NOT EXISTS items_name ON items (name);' \
	>"$P/migrations/001_index.sql"
tui_start 160 50 -c "$P/pgstep.conf"
check "acme has 1 pending" wait_for 'acme .*1 pending' 20
check "s opens 001_index" run_key s 'Run: step on acme, 001_index \(1 of 1\)'
keys x
check "the build is confirmed" wait_for 'Confirm statement 1 on acme' 5
check "the confirmation names the INVALID index IF NOT EXISTS would keep" \
	wait_for 'INVALID index acme\.items_name exists \(an interrupted build left it\):'
check "says what IF NOT EXISTS does with it" wait_for 'IF NOT EXISTS keeps it and builds nothing'
check "and gives the fix" wait_for 'fix: DROP INDEX CONCURRENTLY acme\.items_name; first'
keys Enter
check "Cancel runs nothing" wait_for 'statement 1 not run'
keys B
check "B stops the run" wait_for 'Esc closes this view' 10
keys q
check "q exits 0" wait_exit 0 10

# --- 3b. hold_rollback_after: the run rolls back on its own once someone waited that long ----
scenario autorb
conf_tenant acme autorb acme
sed -i 's/^\[defaults\]$/[defaults]\nhold_limit = 1s\nhold_rollback_after = 2s/' "$P/pgstep.conf"
q autorb "CREATE SCHEMA acme; CREATE TABLE acme.items (id int PRIMARY KEY, name text);" >/dev/null
printf '%s\n' '-- migrate:up' 'ALTER TABLE items ADD COLUMN flag boolean;' \
	'-- migrate:down' 'ALTER TABLE items DROP COLUMN flag;' >"$P/migrations/001_flag.sql"
tui_start 160 50 -c "$P/pgstep.conf"
check "acme has 1 pending" wait_for 'acme .*1 pending' 20
check "s opens 001_flag" run_key s 'Run: step on acme, 001_flag \(1 of 1\)'
keys x
check "the ALTER is confirmed" wait_for 'Confirm statement 1 on acme'
keys Right Enter
check "the ALTER ran" wait_for 'All statements of the open transaction ran \(1 of 1\)' 10
check "nobody waits yet: the run stays open past hold_limit" wait_for 'PAST hold_limit \(1s\)' 5
"$PG_BINDIR/psql" -X -At -d autorb -c "SET application_name = shop" \
	-c "SELECT count(*) FROM acme.items" >"$BASE/waiter.out" 2>&1 &
WAITER=$!
check "once the SELECT has waited 2 s, the run rolls back on its own, saying why" \
	wait_for '001_flag on acme: rolled back on its own: pid [0-9]+ \(shop\) waited [0-9]+s behind our locks \(hold_rollback_after\)' 10
check "the waiter got through" wait_sql autorb 5 \
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'shop'"
wait "$WAITER"
db_is "nothing of 001 stays: no column flag" 0 autorb \
	"SELECT count(*) FROM information_schema.columns WHERE table_schema = 'acme' AND table_name = 'items' AND column_name = 'flag'"
db_is "001 is not applied" none autorb "$(state_of acme 1)"
keys q
check "q exits 0" wait_exit 0 10

# --- 7. up on the command line says who it waits for ----------------------------------------
scenario cliwait
conf_tenant acme cliwait acme
sed -i 's/^lock_timeout = .*/lock_timeout = 4s/; s/^lock_retries = .*/lock_retries = 0/' "$P/pgstep.conf"
q cliwait "CREATE SCHEMA acme; CREATE TABLE acme.items (id int PRIMARY KEY, name text);" >/dev/null
printf '%s\n' '-- migrate:up' 'ALTER TABLE items ADD COLUMN flag boolean;' \
	'-- migrate:down' 'ALTER TABLE items DROP COLUMN flag;' >"$P/migrations/001_flag.sql"
blocker_start cliwait "LOCK TABLE acme.items IN ACCESS SHARE MODE;"
check "a reporting session holds ACCESS SHARE on items" test -n "$BPID"
ps up --yes >"$BASE/up.out" 2>&1
cp "$BASE/up.out" "$T/screen"
check "up prints who the statement waits for, once" \
	test "$(grep -c "statement 1 waits: pid $BPID (reporting) holds AccessShareLock on acme.items: we wait for it" "$BASE/up.out")" = 1
check "with user, state, client and query" \
	grep -q "user postgres, idle in transaction, transaction [0-9]*s, client local socket: SELECT 'blocker pid" "$BASE/up.out"
blocker_stop

done_testing
