#!/bin/sh
# tui_facts.sh: the Risk tab's live facts in the interface: with a session
# holding a lock on a table that a pending migration locks, `f` shows that
# session's pid under the lock, and the table's size and rows; `:facts`
# reads them again; another migration shows none of them.
. "$TOP_SRCDIR/tests/lib/tui.sh"
command -v psql >/dev/null || { echo "1..0 # SKIP psql not installed"; exit 0; }

tui_demo
CONTROL=$(sed -n 's/^control = //p' "$CONF")

# A session that locked globex.tool_calls (023 indexes it) and
# globex.project_files (025 drops a column of it), both pending on globex,
# and stays idle in its transaction, as a leaked one would.
mkfifo "$T/blocker.in"
psql -X -At "$CONTROL" <"$T/blocker.in" >"$T/blocker.out" 2>&1 &
BLOCKER=$!
exec 3>"$T/blocker.in"
blocker_stop() { exec 3>&-; kill "$BLOCKER" 2>/dev/null; tui_cleanup; }
trap blocker_stop EXIT
printf '%s\n' "BEGIN;" "LOCK TABLE globex.tool_calls, globex.project_files IN ACCESS SHARE MODE;" \
	"SELECT 'pid=' || pg_backend_pid();" >&3
i=0
while ! grep -q '^pid=' "$T/blocker.out" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
BPID=$(sed -n 's/^pid=//p' "$T/blocker.out")
check "a session holds ACCESS SHARE on globex.tool_calls" test -n "$BPID"

tui_start 160 50 -c "$CONF"
check "globex is a phase behind" wait_for 'globex .*6 pending' 30
command_line "tenant globex"
check "globex selected" wait_for 'Migrations of globex'
command_line "goto 023"
check "023 selected" wait_for '─ 023_tool_calls_provider_index ─'
keys 2
check "the Risk tab says the facts are not read yet" wait_for 'f \(:facts\) reads the live facts of globex'
check "and shows no session before it is asked" wait_gone "pid $BPID"
check "the Risk tab names the tenant's schema, not public" wait_for 'globex\.tool_calls'
check "... and nowhere public.tool_calls" wait_gone 'public\.tool_calls' 1
keys f
# ACCESS SHARE does not conflict with CREATE INDEX's SHARE: on it, not blocking.
# (Its query may wrap to the next row: prose wraps in the detail pane.)
check "f: the session's pid under the lock on tool_calls, not blocking it" \
	wait_for "also pid $BPID postgres holds AccessShareLock, idle in transaction, xact [0-9]+s: SELECT( 'pid| *[│|]\$)" 20
check "f: the size and rows of the populated table" \
	wait_for 'size [0-9.]+ (kB|MB), about [0-9]+ rows' 5
check "the facts say whose they are" wait_for 'Live facts of globex'

command_line "goto 025"
keys f
check "f on 025: the same session blocks its ACCESS EXCLUSIVE lock on project_files" \
	wait_for "blocks pid $BPID postgres holds AccessShareLock, idle in transaction" 20
command_line "goto 023"
keys f
wait_for "also pid $BPID" 20 >/dev/null

# The blocker ends: :facts reads them again and it is gone.
printf '%s\n' "ROLLBACK;" >&3
command_line "facts"
check ":facts refreshes: the blocker is gone" wait_gone "pid $BPID" 20
check "and the lock has no session now" wait_for 'no session holds or waits for a lock on it'

# Another migration: the facts were of 023, they are not shown under 022.
command_line "goto 022"
check "another migration shows no stale facts" wait_for 'f \(:facts\) reads the live facts'

keys q
check "q exits with status 0" wait_exit 0
done_testing
