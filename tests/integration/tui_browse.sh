#!/bin/sh
# tui_browse.sh: the interface on the demo's three tenants, driven in tmux:
# badges, phases, selection, each detail tab, search, `:` commands with
# history, `?` help and quitting.
. "$TOP_SRCDIR/tests/lib/tui.sh"

# The man page's key table is generated from actions.def: the committed
# copy must match (regenerate with `pgstep --keys-roff`).
"$PGSTEP" --keys-roff >"$T/keys.roff"
sed -n '/^\.\\" keys: generated/,/^\.\\" end of keys/p' "$TOP_SRCDIR/doc/pgstep.1" |
	sed '1,2d;$d' >"$T/keys.man"
check "doc/pgstep.1's key table is pgstep --keys-roff's" cmp -s "$T/keys.roff" "$T/keys.man"
check "it lists the : commands and keys (q, :quit)" grep -q ':quit' "$T/keys.man"

tui_demo
# An applied file edited since: the Diff tab must show it.
f=$DIR/migrations/phase-0-foundation/001_tenancy.sql
sed -i 's/^-- migrate:up$/-- migrate:up\n-- edited after it was applied/' "$f"

tui_start 120 40 -c "$CONF"
check "acme is up to date" wait_for 'acme .*up to date' 30
check "globex is a phase behind: 6 pending" wait_for 'globex .*6 pending'
check "initech is dirty" wait_for 'initech .*dirty'
check "the migrations are grouped by phase" wait_for 'phase-0-foundation'
check "with their versions and names" wait_for '001_tenancy'
check "the archive is folded" wait_for '(▸|\+) archive'

command_line "tenant acme"
check ":tenant selects a tenant" wait_for 'Migrations of acme'
keys Tab
keys Down
check "Down moves the selection to the next migration" wait_for '─ 002_identity ─'
check "the SQL tab shows the statement text with line numbers" wait_for '[0-9]+ CREATE TABLE'
keys Up
check "Up moves it back" wait_for '─ 001_tenancy ─'
# The list's risk column is the risk of applying: creating new tables is no
# risk (its rollback, which drops them, is stated apart in the Risk tab).
check "the list shows no risk for a migration that only creates" \
	wait_for '[^ ] 001_tenancy +[│|]'
keys 2
check "Risk: applying 001 is no risk" wait_for 'Highest risk: none'
# Dropping the tables the up created is what its down is for: info (issue 11).
check "Risk: rolling it back loses data, said apart" wait_for 'Rolling back: info'

keys 3
check "Diff: an applied file changed since it was applied" wait_for 'file changed since it was applied'
check "Diff: the added line as a unified diff" wait_for '[│|]\+-- edited after it was applied'
check "Diff: hunk header" wait_for '@@ -[0-9]+,[0-9]+ \+[0-9]+,[0-9]+ @@'

keys 4
check "History: the apply event" wait_for 'apply .* by postgres'
keys 5
check "Notes: the pgstep:note text" wait_for 'Creates the tenancy tables'
check "Notes: a statement in plain words" wait_for '^.*[0-9]+\. Creates'

command_line "goto 012"
keys 2
check "Risk: a rule id with its severity" wait_for '\[(info|warn|error)\] [a-z]+(-[a-z]+)+:'
# (the relation may wrap to the next row: prose wraps in the detail pane)
check "Risk: a lock mode on a relation, in the tenant's schema" wait_for 'lock (ACCESS EXCLUSIVE|SHARE ROW EXCLUSIVE|SHARE UPDATE EXCLUSIVE|SHARE) \([A-Za-z]+Lock\) on( acme\.| *[│|]$)'
check ":goto selects the migration" wait_for '─ 012_tool_calls_connector_fk ─'

keys 1 /
type_text "enum"
keys Enter
check "/ search finds a migration by name" wait_for '─ 013_billing_status_enum ─'
keys n
check "n moves to the next match" wait_for '─ 014_role_agent_status_enum ─'
keys N
check "N moves back" wait_for '─ 013_billing_status_enum ─'

command_line "tenant globex"
check "a : command runs" wait_for 'Migrations of globex'
# The cursor was on 013 (acme's); globex's first pending is 020 (issue 11).
check "selecting a tenant puts the cursor on its first pending migration" \
	wait_for '─ 020_validate_project_files_constraints ─'
keys :
wait_for '^:' >/dev/null
keys Up
check "Up at the : prompt recalls the last command" wait_for '^:tenant globex'
keys Escape
check "Escape leaves the prompt" wait_gone '^:tenant globex'
command_line "nosuch"
check "an unknown command says so" wait_for 'unknown command :nosuch'
check "the : history is saved under ~/.local/state/pgstep" \
	grep -q 'tenant globex' "$T/home/.local/state/pgstep/command_history"

# Tab completion at the : prompt: command names, then tenants, versions, tabs.
keys :
wait_for '^:' >/dev/null
type_text "ten"
keys Tab
check "Tab completes a command name (:ten -> :tenant)" wait_for '^:tenant *$'
type_text "ini"
keys Tab
check "Tab completes a tenant name (initech)" wait_for '^:tenant initech *$'
keys Enter
check "the completed command runs" wait_for 'Migrations of initech'
keys :
wait_for '^:' >/dev/null
type_text "goto 01"
keys Tab
keys Tab
check "Tab twice lists the matching versions in the hint bar" wait_for '010 +011'
type_text "2"
keys Tab
check "Tab completes a version (012)" wait_for '^:goto 012 *$'
keys Escape
wait_gone '^:goto' >/dev/null
# More candidates than the line holds: those that fit, and how many more.
keys :
wait_for '^:' >/dev/null
type_text "goto "
keys Tab
keys Tab
check "Tab twice on every version: the count of those that do not fit" \
	wait_for '^0[0-9][0-9] .* 0[0-9][0-9]  \.\.\. and [0-9]+ more: type more letters *$'
keys Escape
wait_gone '^:goto' >/dev/null
keys :
wait_for '^:' >/dev/null
type_text "tab hi"
keys Tab
check "Tab completes a tab name (history)" wait_for '^:tab history *$'
keys Escape
wait_gone '^:tab' >/dev/null

# :repair rewrites history: Tab completes its mark, and a dialog says what
# would be recorded before anything is (issue 11). initech's cursor is on
# its dirty migration.
keys :
wait_for '^:' >/dev/null
type_text "repair ap"
keys Tab
check "Tab completes :repair's mark (applied)" wait_for '^:repair applied *$'
type_text "checked by hand"
keys Enter
check ":repair asks before it records" wait_for 'will be recorded applied'
keys Escape
check "cancelled: nothing is recorded" wait_for 'nothing was recorded'
check "initech stays dirty" wait_for 'initech .*dirty'

keys '?'
check "? lists the keys" wait_for 'PgDn'
check "? lists the : commands" wait_for ':goto ARG'
check "? shows an action's keys on its one line (Up k :up)" wait_for '[│|] Up k +:up '
check "? lists Enter once for :open's three key codes" wait_for '[│|] +Enter +:open '
check "? lists each action once" sh -c "[ \"\$(grep -c ':open ' '$T/screen')\" = 1 ] && [ \"\$(grep -c ':page-down ' '$T/screen')\" = 1 ]"
keys Escape
check "Escape closes the help" wait_gone ':goto ARG'

keys q
check "q exits with status 0" wait_exit 0
check "the terminal is restored (the interface is gone)" wait_gone 'Migrations of'
done_testing
