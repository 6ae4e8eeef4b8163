#!/bin/sh
# tui_step.sh: the interface's step runner against a real server, driven in
# tmux: a migration stepped statement by statement (the database checked
# from a second session between steps), undo of the last statement, the
# quit dialog with a migration open, the confirmation dialog of a statement
# that locks a populated table (Cancel and Esc leave it unrun, Run it runs
# it), the rollback of a whole migration, `a` with its plan dialog, the
# typed confirmation of a DROP COLUMN (refused until the table's name is
# typed), the undo of that DROP COLUMN, a failing statement's SQLSTATE and
# error position, `d` (the down of an applied migration, in step mode),
# `:down-to`, and `d` of a migration changed since it was applied (the
# stored down chosen over the file's).
# tui_step_more.sh has lock waits, cancel, a lost terminal, a dirty
# non-transactional migration resumed, and a group apply.
. "$TOP_SRCDIR/tests/lib/tui.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
# pg_start replaced tui.sh's traps: stop tmux (pgstep rolls back what it
# has open) before the server.
step_cleanup() {
	tui_cleanup
	pg_stop
}
trap step_cleanup EXIT
trap 'exit 1' HUP INT TERM PIPE

pg_createdb app
project_new "$TOP_SRCDIR/tests/lib"
rm -rf "$P/migrations"
mkdir "$P/migrations"
cat >"$P/pgstep.conf" <<CONF
[migrations]
dir = migrations
[defaults]
lock_timeout = 1s
lock_retries = 2
retry_backoff = 300ms
CONF
conf_tenant acme app acme

# A populated table the migrations lock.
q app "CREATE SCHEMA acme;
CREATE TABLE acme.items (id int PRIMARY KEY, name text, note text);
INSERT INTO acme.items SELECT g, 'item ' || g, 'note ' || g FROM generate_series(1, 5000) g;
ANALYZE acme.items;" >/dev/null

cat >"$P/migrations/001_three.sql" <<'SQL'
-- migrate:up
CREATE TABLE a (id int);
INSERT INTO a VALUES (1);
CREATE TABLE b (id int);
-- migrate:down
DROP TABLE b;
DROP TABLE a;
SQL
cat >"$P/migrations/002_alter.sql" <<'SQL'
-- migrate:up
ALTER TABLE items ADD COLUMN flag boolean;
CREATE TABLE c (id int);
-- migrate:down
DROP TABLE c;
ALTER TABLE items DROP COLUMN flag;
SQL
cat >"$P/migrations/003_drop.sql" <<'SQL'
-- migrate:up
ALTER TABLE items DROP COLUMN note;
CREATE TABLE d (id int);
-- migrate:down
DROP TABLE d;
ALTER TABLE items ADD COLUMN note text;
SQL
cat >"$P/migrations/004_bad.sql" <<'SQL'
-- migrate:up
CREATE TABLE e (id int);
UPDATE e SET nosuch = 1;
-- migrate:down
DROP TABLE e;
SQL

# db_is DESC WANT SQL: a check on what a second session sees; on failure
# the query and both answers are shown (in place of the screen).
db_is() {
	got=$(q app "$3")
	printf '%s\n' "query: $3" "got:  $got" "want: $2" >"$T/screen"
	check "$1" test "$got" = "$2"
}
# The step runner's session (the watch session stays idle out of a transaction).
RUNNER="SELECT pid FROM pg_stat_activity WHERE application_name = 'pgstep' AND state LIKE 'idle in transaction%'"
# Relation locks of mode $1 the runner holds.
runner_locks() {
	echo "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND mode = '$1' AND pid IN ($RUNNER)"
}
ITEMS_LOCKS="SELECT count(*) FROM pg_locks WHERE relation = 'acme.items'::regclass"
has_column() {
	echo "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'acme' AND table_name = 'items' AND column_name = '$1'"
}
# Events of one version of acme, oldest first.
events_of() {
	echo "SELECT string_agg(action, ',' ORDER BY seq) FROM pgstep.events WHERE tenant = 'acme' AND ltrim(version, '0') = '$1'"
}
state_of() {
	echo "SELECT coalesce((SELECT state FROM pgstep.migrations WHERE tenant = 'acme' AND ltrim(version, '0') = '$1'), 'none')"
}

tui_start 160 45 -c "$P/pgstep.conf"
check "acme has 4 pending" wait_for 'acme .*4 pending' 20

# --- 1. step a three-statement migration ---------------------------------------------
check "s opens the next pending migration in step mode" \
	run_key s 'Run: step on acme, 001_three \(1 of 1\)'
check "the run says what it applies, in an open transaction" \
	wait_for 'Applying 001_three on acme: 3 statements, transaction open'
check "the statement list marks the first one current" wait_for ' >  1  line 2 +CREATE TABLE a \(id int\)'
check "and says which comes next" wait_for 'Next: statement 1 of 3'
db_is "nothing has run: the runner's transaction holds no lock of a new table" 0 \
	"$(runner_locks AccessExclusiveLock)"

keys x
check "x runs statement 1: it is marked done" wait_for ' ✓  1  line 2 +CREATE TABLE a'
check "statement 2 is current" wait_for 'Next: statement 2 of 3'
db_is "the runner is idle in its open transaction, after CREATE TABLE a" \
	"idle in transaction|CREATE TABLE a (id int)" \
	"SELECT state || '|' || query FROM pg_stat_activity WHERE pid IN ($RUNNER)"
db_is "it holds the lock of the table it created (one)" 1 "$(runner_locks AccessExclusiveLock)"
db_is "another session does not see table a yet" "" "SELECT to_regclass('acme.a')"

keys x
check "x runs statement 2 (the INSERT)" wait_for ' ✓  2  line 3 +INSERT INTO a VALUES \(1\)'
check "the log says statement 2 is done" wait_for 'statement 2 done in [0-9]+ ms'
db_is "statement 3 has not run: still one new table locked" 1 "$(runner_locks AccessExclusiveLock)"

# --- 4. undo of the last statement --------------------------------------------------
keys u
check "u undoes statement 2 (the log says so)" wait_for 'statement 2 undone'
check "statement 2 is current again" wait_for 'Next: statement 2 of 3'
check "and no longer marked done" wait_for ' >  2  line 3 +INSERT INTO a'
keys x
check "x runs statement 2 again" wait_for 'Next: statement 3 of 3'
keys x
check "x runs statement 3" wait_for 'All statements of the open transaction ran \(3 of 3\)'
check "with the keys that end it" wait_for 'c commits  u undoes statement 3  B rolls back'
db_is "both new tables are locked by the open transaction" 2 "$(runner_locks AccessExclusiveLock)"
db_is "nothing is committed yet: table b is not visible" "" "SELECT to_regclass('acme.b')"

# --- q with a migration open ---------------------------------------------------------
keys q
check "q with a migration open asks first" wait_for 'A migration is open: quit\?'
check "it says where the run stands" wait_for '001_three on acme: statement 3 of 3, its transaction is open'
check "Cancel has the focus" wait_for '\[ Cancel \] +Roll back and quit'
keys Enter
check "Cancel closes the dialog" wait_gone 'A migration is open: quit\?'
check "and the run stays open" wait_for 'All statements of the open transaction ran \(3 of 3\)'
db_is "the transaction is still open" 2 "$(runner_locks AccessExclusiveLock)"

sleep 2 # the undo happened well before the commit
keys c
check "c commits: the run says 1 migration applied" wait_for 'acme: 1 migration applied' 10
# An event of the open transaction is written at its end: the history
# shows when it happened (issue 11).
h=$(ps history --tenant acme 2>&1)
undo_t=$(printf '%s\n' "$h" | awk '$4 == "undo" { print $3; exit }')
apply_t=$(printf '%s\n' "$h" | awk '$4 == "apply" { print $3; exit }')
printf '%s\n' "$h" >"$T/screen"
check "history: the undo at the time it happened, not at the commit ($undo_t, $apply_t)" \
	test -n "$undo_t" -a -n "$apply_t" -a "$undo_t" != "$apply_t"
check "the run's outcome line" wait_for '✓ 001_three applied: transaction open [0-9]+\.[0-9] s, statements [0-9]+ ms'
db_is "after the commit, 001 is applied" applied "$(state_of 1)"
db_is "tables a and b exist" "acme.a|acme.b" "SELECT to_regclass('acme.a') || '|' || to_regclass('acme.b')"
db_is "the undone INSERT ran once: one row in a" 1 "SELECT count(*) FROM acme.a"
db_is "the undo is an event, with the apply" "undo,apply" "$(events_of 1)"
db_is "the runner's session has no open transaction left" 0 \
	"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgstep' AND xact_start IS NOT NULL"
check "the tenant has 3 pending" wait_for 'acme .*3 pending'
keys Escape
check "Esc closes the ended run view" wait_gone 'Run: step on acme'

# --- 2. the confirmation dialog; 5. rolling back the whole migration --------------------
check "s opens 002_alter" run_key s 'Run: step on acme, 002_alter \(1 of 1\)'
check "its ALTER is marked as needing a confirmation" \
	wait_for ' >  1  line 2 +\[confirm\] ALTER TABLE items ADD COLUMN flag boolean'
check "the view says why" wait_for 'asks for a confirmation: ACCESS EXCLUSIVE on acme.items, which exists'
keys x
check "x opens the confirmation dialog" wait_for 'Confirm statement 1 on acme'
check "it names the statement" wait_for 'Statement 1 of 2 \(line 2\) of 002_alter on acme:'
check "the lock and what it blocks" \
	wait_for 'Lock ACCESS EXCLUSIVE on acme.items: blocks every read and write of it'
check "the table's size and rows" wait_for 'acme.items: [0-9.]+ kB, about 5000 rows'
check "no session holds a lock on it" wait_for 'no other session holds or waits for a lock on it'
check "the lock_timeout in force, from pgstep.conf's line" wait_for 'lock_timeout 1s \(from pgstep\.conf:4\),'
check "the retries in force, from pgstep.conf's line" \
	wait_for '  then retried up to 2 times \(from pgstep\.conf:5\)'
check "the focus starts on Cancel" wait_for '\[ Cancel \] +Run it'
keys Enter
check "Enter (on Cancel) closes the dialog" wait_gone 'Confirm statement 1 on acme'
check "the log: not run, cancelled at the confirmation" \
	wait_for 'statement 1 not run: cancelled at the confirmation'
check "the message line says how to go on" wait_for 'statement 1 not run; x asks again, B rolls back the migration'
check "statement 1 is still the next one" wait_for 'Next: statement 1 of 2'
db_is "the ALTER did not run: no lock on items" 0 "$ITEMS_LOCKS"

keys x
check "x asks again" wait_for 'Confirm statement 1 on acme'
keys Escape
check "Esc cancels the dialog too" wait_gone 'Confirm statement 1 on acme'
db_is "still no lock on items" 0 "$ITEMS_LOCKS"

keys x
check "x asks a third time" wait_for 'Confirm statement 1 on acme'
keys Right
check "Right moves the focus to Run it" wait_for '  Cancel +\[ Run it \]'
keys Enter
check "Run it runs the ALTER" wait_for ' ✓  1  line 2 +\[confirm\] ALTER TABLE items'
check "the log says it was confirmed" wait_for 'statement 1 confirmed'
db_is "the runner holds ACCESS EXCLUSIVE on items" AccessExclusiveLock \
	"SELECT string_agg(mode, ',') FROM pg_locks WHERE relation = 'acme.items'::regclass AND pid IN ($RUNNER)"
keys x
check "x runs statement 2" wait_for 'All statements of the open transaction ran \(2 of 2\)'
keys B
check "B rolls the whole migration back" \
	wait_for '002_alter on acme: rolled back on request; nothing of its up stays' 10
db_is "nothing of 002 stays: no flag column" 0 "$(has_column flag)"
db_is "no table c" "" "SELECT to_regclass('acme.c')"
db_is "no state row for 002" none "$(state_of 2)"
db_is "the lock on items is gone" 0 "$ITEMS_LOCKS"
db_is "the events: two refusals, the confirmation, the discard" \
	"decline,decline,confirm,discard" "$(events_of 2)"
db_is "the confirmation records the lock and the table" "ACCESS EXCLUSIVE acme.items" \
	"SELECT (detail::json->>'lock') || ' ' || (detail::json->>'relation') FROM pgstep.events WHERE tenant = 'acme' AND action = 'confirm'"
check "the tenant still has 3 pending" wait_for 'acme .*3 pending'
keys Escape

# --- a: apply with its plan dialog ----------------------------------------------------
check "a asks first, with the plan" run_key a 'Apply 1 migration to acme\?'
check "the plan lists 002_alter" wait_for '1\. 002_alter .* 2 statements'
check "the focus starts on Cancel" wait_for '\[ Cancel \] +Apply'
keys Right Enter
check "the ALTER still waits for its confirmation" wait_for 'Confirm statement 1 on acme'
keys Right Enter
check "then the run goes to the end and commits" wait_for 'acme: 1 migration applied' 10
db_is "002 is applied" applied "$(state_of 2)"
db_is "the flag column exists" 1 "$(has_column flag)"
keys Escape

# --- 3. a DROP COLUMN is refused until the table's name is typed ------------------------
check "s opens 003_drop" run_key s 'Run: step on acme, 003_drop \(1 of 1\)'
check "its DROP COLUMN is marked as needing a typed name" \
	wait_for ' >  1  line 2 +\[type\] ALTER TABLE items DROP COLUMN note'
check "the view names what must be typed" wait_for 'can lose data: asks for the name items to be typed'
keys x
check "x opens the confirmation" wait_for 'Confirm statement 1 on acme'
check "it says the statement can lose data" wait_for 'This statement can lose data\.'
check "and asks for the table's name" wait_for 'Type items to [a-z ]*:'
keys Right
check "the focus is on Run it" wait_for '  Cancel +\[ Run it \]'
keys Enter
check "Run it without the name is refused" wait_for 'type items exactly to run it \(Esc cancels\)'
check "the dialog stays open" wait_for 'Type items to [a-z ]*:'
db_is "the DROP COLUMN did not run" 0 "$ITEMS_LOCKS"
type_text itemz
check "typed characters go to the field" wait_for '> itemz_'
keys Enter
check "a wrong name is refused too" wait_for 'Type items to [a-z ]*:'
db_is "still not run" 0 "$ITEMS_LOCKS"
keys BSpace
type_text s
check "Backspace corrects the field" wait_for '> items_'
keys Enter
check "with the name typed, Run it runs it" wait_for ' ✓  1  line 2 +\[type\] ALTER TABLE items DROP COLUMN'
check "the log says what was typed" wait_for 'statement 1 confirmed by typing items'
db_is "the runner holds ACCESS EXCLUSIVE on items" 1 "$ITEMS_LOCKS"

# --- 4b. undo of the DROP COLUMN --------------------------------------------------------
keys u
check "u undoes the DROP COLUMN" wait_for 'statement 1 undone'
check "it is the next statement again" wait_for 'Next: statement 1 of 2'
db_is "its lock is released with its savepoint" 0 "$ITEMS_LOCKS"
keys x
check "x asks for the name again after the undo" wait_for 'Type items to [a-z ]*:'
keys Right
type_text acme.items
keys Enter
check "the schema-qualified name is accepted" wait_for 'statement 1 confirmed by typing acme.items'
keys x
check "statement 2 runs" wait_for 'All statements of the open transaction ran \(2 of 2\)'
keys c
check "c commits 003" wait_for 'acme: 1 migration applied' 10
db_is "003 is applied" applied "$(state_of 3)"
db_is "the note column is gone" 0 "$(has_column note)"
db_is "the events: undo between the two typed confirmations, then the apply" \
	"confirm,undo,confirm,apply" "$(events_of 3)"
db_is "each confirmation records what was typed" "items,acme.items" \
	"SELECT string_agg(detail::json->>'typed', ',' ORDER BY seq) FROM pgstep.events WHERE tenant = 'acme' AND action = 'confirm' AND ltrim(version, '0') = '3'"
keys Escape

# --- a failing statement: SQLSTATE and the error's position ------------------------------
check "s opens 004_bad" run_key s 'Run: step on acme, 004_bad \(1 of 1\)'
keys x
wait_for 'Next: statement 2 of 2' >/dev/null
keys x
check "the failed statement is marked" wait_for ' ✗  2  line 3 +UPDATE e SET nosuch = 1'
check "the view says it failed and was rolled back to its savepoint" \
	wait_for 'Statement 2 failed and was rolled back to its savepoint:'
check "with the SQLSTATE and the server's message" \
	wait_for '42703: column "nosuch" of relation "e" does not exist'
check "the error's position is marked" wait_for '\^ the error is here \(character 14\)'
# The caret stands under the character the server pointed at (n of nosuch).
caret_under_n() {
	screen >"$T/screen"
	# Columns counted in the detail pane (after the panes' borders).
	sql_col=$(grep -m1 '    3  UPDATE e SET nosuch' "$T/screen" | sed 's/.*││//; s/nosuch.*//' | wc -c)
	caret_col=$(grep -m1 '\^ the error is here' "$T/screen" | sed 's/.*││//; s/\^.*//' | wc -c)
	[ -n "$sql_col" ] && [ "$sql_col" = "$caret_col" ]
}
check "the caret is under the n of nosuch" caret_under_n
check "the keys after a failure" wait_for 'x retries it  u gives it up \(leaves it unrun\)  B rolls back the migration'
check "the log has the error" wait_for 'statement 2 failed: 42703'
keys u
check "u gives the failed statement up" wait_for 'Next: statement 2 of 2'
keys B
check "B rolls 004 back" wait_for '004_bad on acme: rolled back on request' 10
db_is "no table e" "" "SELECT to_regclass('acme.e')"
db_is "the error is an event, before the discard" "statement-error,discard" \
	"SELECT string_agg(action, ',' ORDER BY seq) FROM pgstep.events WHERE tenant = 'acme' AND ltrim(version, '0') = '4' AND action IN ('statement-error', 'discard')"
db_is "no state row for 004" none "$(state_of 4)"
keys Escape

# --- 6. d: the down of an applied migration -----------------------------------------------
command_line "goto 003"
check "003 selected" wait_for '─ 003_drop ─'
check "d opens the down in step mode" run_key d 'Run: down on acme, 003_drop \(1 of 1\)'
check "the view says it rolls back" wait_for 'Rolling back 003_drop on acme: 2 statements, transaction open'
check "the down's DROP TABLE needs a typed name" wait_for ' >  1  line 5 +\[type\] DROP TABLE d'
check "its ADD COLUMN on items a confirmation" wait_for '2  line 6 +\[confirm\] ALTER TABLE items ADD COLUMN note text'
db_is "nothing ran yet: d still exists" acme.d "SELECT to_regclass('acme.d')"
keys R
check "R asks for statement 1's name" wait_for 'Type d to [a-z ]*:'
keys Right
type_text d
keys Enter
check "then the confirmation of statement 2" wait_for 'Confirm statement 2 on acme'
keys Right Enter
check "then R commits the down" wait_for 'acme: 1 migration rolled back' 10
db_is "003 is rolled back" rolled_back "$(state_of 3)"
db_is "its table d is gone" "" "SELECT to_regclass('acme.d')"
db_is "and the note column is back" 1 "$(has_column note)"
db_is "002 stays applied" applied "$(state_of 2)"
db_is "the events of 003 end with the down's confirmations and rollback" "confirm,confirm,rollback" \
	"SELECT string_agg(action, ',' ORDER BY seq) FROM (SELECT action, seq FROM pgstep.events WHERE tenant = 'acme' AND ltrim(version, '0') = '3' ORDER BY seq DESC LIMIT 3) e"
check "the tenant shows 2 pending" wait_for 'acme .*2 pending'
keys Escape

check_verify() {
	ps verify --tenant acme >"$T/screen" 2>&1
}
check "pgstep verify: the event chain is intact" check_verify

# --- D: back to a version, after one confirmation of the list of downs --------------------------
command_line "down-to 001"
check ":down-to 001 lists the downs first" wait_for 'Roll back 1 migration of acme\?'
check "the list names 002_alter" wait_for '1\. 002_alter .* 2 statements'
check "the focus starts on Cancel" wait_for '\[ Cancel \] +Roll back'
keys Right Enter
check "the down's DROP TABLE of c still needs its name" wait_for 'Type c to [a-z ]*:'
keys Right
type_text c
keys Enter
check "and its DROP COLUMN the table's" wait_for 'Type items to [a-z ]*:'
keys Right
type_text items
keys Enter
check "then the down commits" wait_for 'acme: 1 migration rolled back' 10
db_is "002 is rolled back" rolled_back "$(state_of 2)"
db_is "the flag column is gone" 0 "$(has_column flag)"
db_is "001 stays applied" applied "$(state_of 1)"
keys q
check "q with no run open exits 0" wait_exit 0

# --- d of a migration changed since it was applied: which down? ------------------------------------
cat >"$P/migrations/001_three.sql" <<'SQL'
-- migrate:up
CREATE TABLE a (id int, extra int);
INSERT INTO a VALUES (1);
CREATE TABLE b (id int);
-- migrate:down
CREATE TABLE from_file (id int);
DROP TABLE b;
DROP TABLE a;
SQL
S=changed
tui_start 160 45 -c "$P/pgstep.conf"
check "acme has 3 pending" wait_for 'acme .*3 pending' 20
command_line "goto 001"
check "001 selected" wait_for '─ 001_three ─'
check "d on a changed migration asks which down" \
	run_key d '001_three changed since it was applied: which down\?'
check "it shows the stored down" wait_for '-- down stored at apply time:'
check "and the file's" wait_for '-- down in the file'
check "the choices, Cancel first" wait_for '\[ Cancel \] +Stored at apply time +The file.s'
keys Right Enter
check "the stored down opens in step mode" wait_for 'Run: down on acme, 001_three \(1 of 1\)'
check "its two statements, not the file's three" wait_for 'Rolling back 001_three on acme: 2 statements'
keys R
check "R asks for b" wait_for 'Type b to [a-z ]*:'
keys Right
type_text b
keys Enter
check "then for a" wait_for 'Type a to [a-z ]*:'
keys Right
type_text a
keys Enter
check "then the down commits" wait_for 'acme: 1 migration rolled back' 10
db_is "001 is rolled back" rolled_back "$(state_of 1)"
db_is "tables a and b are gone" "" "SELECT coalesce(to_regclass('acme.a')::text, '') || coalesce(to_regclass('acme.b')::text, '')"
db_is "the file's down did not run" "" "SELECT to_regclass('acme.from_file')"
keys q
check "q exits 0" wait_exit 0
done_testing
