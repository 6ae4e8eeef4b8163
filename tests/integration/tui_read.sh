#!/bin/sh
# tui_read.sh: long text in the interface at 80x24. Prose (a note, a
# finding, its advice) wraps in the detail pane and is there in full; SQL
# scrolls sideways with a marker where a line goes on; z gives the detail
# pane the whole screen; the Diff tab shows a change made far to the right
# of a line; the History tab has one line per event in words and local
# time, no JSON, and :filter keeps one action.
. "$TOP_SRCDIR/tests/lib/tui.sh"

tui_demo
# A change at the end of a long line of an applied migration (column 80).
f=$DIR/migrations/phase-0-foundation/001_tenancy.sql
sed -i "s/IN ('metadata_only', 'full')/IN ('metadata_only', 'full', 'archived_only')/" "$f"

# detail_text: the detail pane's text, rows joined (frames removed).
detail_text() {
	screen >"$T/screen"
	# Beside the lists, a row starts with their row (│...│ or a corner
	# line) and the detail's border; zoomed, with the border alone.
	LC_ALL=C.UTF-8 sed -E -n '/^(│[^│]*│|[└┌][^┘┐]*[┘┐])│/{s///;s/│$//;p;b;};s/^│//;s/│$//p' \
		"$T/screen" |
		tr '\n' ' ' | tr -s ' '
}
# shows TEXT: the detail pane holds TEXT, however it wraps (polled).
shows() {
	i=200
	while [ $i -gt 0 ]; do
		detail_text | grep -Fq -- "$1" && return 0
		sleep 0.05
		i=$((i - 1))
	done
	return 1
}

tui_start 80 24 -c "$CONF"
check "the demo's tenants at 80x24" wait_for 'globex .*6 pending' 30

# A long note is there in full, wrapped in a 46-column pane.
command_line "tenant acme"
check ":tenant acme" wait_for 'Migrations of acme'
command_line "goto 013"
keys 5
check "Notes at 80x24: the whole note, wrapped" shows "Converts billing_transactions.status from free text to the billing_tx_status enum through a temporary column, and adds a transaction type. RISKY: the whole table is rewritten and stays locked until the end of the migration, unknown old values silently become 'pending', and dropping the old column also drops the partial index built on it (re-created here)."

# A long finding and its advice, in full once scrolled to (focus: detail).
command_line "goto 023"
# In one go, as a fast typist's keys arrive: G must scroll the Risk tab,
# not the tab drawn before it. (:goto leaves the focus on the migrations;
# Tab moves it to the detail.)
keys 2 Tab G
check "Risk at 80x24: a long finding in full" shows "[warn] drop-index-non-concurrent: DROP INDEX acme.tool_calls_provider_created_idx locks its table ACCESS EXCLUSIVE: every query on it queues while it waits; use DROP INDEX CONCURRENTLY"
check "and its advice" shows "instead: DROP INDEX CONCURRENTLY, in a non-transactional migration."

# z: the detail pane gets the whole screen, and gives it back.
keys z
check "z: the detail pane is 80 columns wide" wait_for '^┌─ 023_tool_calls_provider_index.*─┐$'
check "z: the lists are gone" wait_gone 'Migrations of acme'
keys z
check "z again: the lists are back" wait_for 'Migrations of acme'

# SQL scrolls sideways: a marker at the edge, then the rest of the line.
keys 1
check "SQL: a line longer than the pane ends in a marker" wait_for '4 CREATE INDEX tool_calls_provider_cre.*»[│|]$'
keys '>'
check "> scrolls it: a marker on the left" wait_for '   4 «[a-z_]+'
keys '>'
check "> again: the end of the line, its number still there" wait_for '   4 «.*created_at\); *[│|]$'
keys '<' '<'
check "< scrolls back" wait_for '4 CREATE INDEX'

# The Diff tab shows the change made at column 80.
command_line "goto 001"
keys 3
check "Diff at 80x24: the changed text, though far to the right" shows "'archived_only'"

# History: one line per event, local time, in words.
keys 4
check "History: the apply event at its local time, to the second" \
	wait_for '[│|][0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}  apply +by postgres'
check "in words: what ran and how long it took" shows "apply by postgres tenancy: 10/10 statements,"
command_line "goto 024"
command_line "tenant initech"
command_line "goto 024"
keys 4
check "History: initech's 024 has several events" wait_for 'cancel +by postgres'
check "History: events without a duration: no JSON and no ms/? debris" sh -c "! grep -Eq '\\{\"|\\\\\"|ms/|\\?/' '$T/screen'"
command_line "filter start"
check ":filter start: only the start event" wait_for '\(:filter start\)'
check "the others are counted, not shown" wait_for 'more not shown'
check "cancel is filtered out" wait_gone 'cancel +by postgres'
command_line "filter"
check ":filter alone shows every event again" wait_for 'cancel +by postgres'

# The live facts say when they were read.
command_line "tenant globex"
command_line "goto 021"
keys f
check "facts: the time they were read" wait_for 'Live facts of globex read at [0-9]{2}:[0-9]{2}:[0-9]{2}' 15

# ? help at 80x24: its lines wrap, it pages and says where it is.
keys '?'
check "help: where it is" wait_for ' 1-[0-9]+/[0-9]+  PgDn Space PgUp g G '
first=$(sed -n 's/.* 1-\([0-9]*\)\/\([0-9]*\)  PgDn.*/\1 \2/p' "$T/screen")
set -- $first
keys Space
check "help: Space pages down" wait_for " $(($1 + 1))-[0-9]+/$2 "
keys G
check "help: G goes to the end" wait_for "-$2/$2 "
check "help: the last action is there" wait_for ':close +Close the run view'
keys g
check "help: g goes back to the top" wait_for " 1-$1/$2 "
keys NPage
check "help: PgDn pages too" wait_for " $(($1 + 1))-[0-9]+/$2 "
keys Escape
check "help: Esc closes it" wait_gone 'PgDn Space'

keys q
check "q exits 0" wait_exit 0 10

# LANG=C: a folded phase is not marked with the selection's ">".
tui_start -s ascii -e LANG=C -e LC_ALL=C 80 24 -c "$CONF"
S=ascii
check "LANG=C: the archive is folded, marked +" wait_for '^[|]\+ archive' 30
check "LANG=C: no phase marked >" sh -c "! grep -Eq '^[|]> (archive|phase)' '$T/screen'"
check "LANG=C: an open phase is marked -" wait_for '^[|]- phase-'
keys q
check "LANG=C: q exits 0" wait_exit 0 10 ascii
done_testing
