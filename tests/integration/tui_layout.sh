#!/bin/sh
# tui_layout.sh: `pgstep demo` opens the interface on a terminal; resizing
# keeps a sane layout (and says when the terminal is too small); NO_COLOR
# renders without colour escapes; LANG=C falls back to ASCII glyphs; an
# unreachable tenant shows libpq's reason while the others work.
. "$TOP_SRCDIR/tests/lib/tui.sh"

# The demo itself, on a terminal, is the interface.
tui_start -s demo 80 24 demo
S=demo
check "pgstep demo opens the interface on its cluster" wait_for 'pgstep demo .*3 tenants' 120
check "at 80x24: three panes" wait_for 'Migrations of'
check "at 80x24: the hint bar" wait_for 'q quit'
resize 200 60
check "at 200x60: the layout grows (all phases visible)" wait_for 'phase-3-hardening'
check "at 200x60: no too-small notice" wait_gone 'terminal too small'
resize 60 15
check "at 60x15: a 'terminal too small' notice" wait_for 'terminal too small'
check "at 60x15: no panes drawn into too little room" wait_gone 'Migrations of'
resize 100 30
check "at 100x30: the panes are back" wait_for 'Migrations of'
check "at 100x30: the badges are back" wait_for 'acme .*up to date'
CONF=$(screen | sed -n 's/.*pgstep demo  \([^ ]*pgstep.conf\).*/\1/p' | head -1)
keys C-l
check "Ctrl-L redraws" wait_for 'Tenants 3'

# A copy of the demo's config with a tenant on a closed port.
cp "$CONF" "$T/unreachable.conf"
sed -i "s|^dir = migrations|dir = $(dirname "$CONF")/migrations|" "$T/unreachable.conf"
printf '[tenant ghost]\nconninfo = host=127.0.0.1 port=1 dbname=x user=x\n' >>"$T/unreachable.conf"
S=ghost
tui_start -s ghost 100 30 -c "$T/unreachable.conf"
check "an unreachable tenant gets its badge" wait_for 'ghost .*unreachable' 30
check "while the others work" wait_for 'acme .*up to date'
command_line "tenant ghost"
check "selecting it shows libpq's reason" wait_for 'tenant ghost: .*(refused|failed)'
# libpq's reason is longer than the line: the line says where the rest is,
# and :message shows it whole, wrapped (issue 11).
check "a cut message says so" wait_for '\.\.\. \(:message shows all\) *$'
command_line "message"
check ":message shows the whole message, wrapped" wait_for 'accepting TCP/IP connections\?'
keys Escape
check "Esc closes it" wait_gone 'Last message'
keys q
check "q exits 0 there too" wait_exit 0 10 ghost

S=color
tui_start -s color 100 30 -c "$CONF"
check "with colour: colour escapes are used" wait_sgr "$(printf '\033')\\[[0-9;]*(3[0-7]|4[0-7]|38;5;[0-9]+)m"
keys q
wait_exit 0 10 color >/dev/null

S=mono
tui_start -s mono -e NO_COLOR=1 100 30 -c "$CONF"
wait_for 'acme .*up to date' 30 >/dev/null
check "NO_COLOR=1: the screen is drawn" wait_for 'globex .*6 pending'
screen_sgr mono >"$T/screen"
check "NO_COLOR=1: no colour escapes" \
	sh -c "! grep -Eq '$(printf '\033')\\[[0-9;]*(3[0-7]|4[0-7]|38;5;[0-9]+)m' '$T/screen'"
check "NO_COLOR=1: the selection is still visible (reverse video)" \
	grep -q "$(printf '\033')\\[7m" "$T/screen"
keys q
wait_exit 0 10 mono >/dev/null

S=nocolor
tui_start -s nocolor 100 30 --no-color -c "$CONF"
check "--no-color: the screen is drawn" wait_for 'globex .*6 pending' 30
screen_sgr nocolor >"$T/screen"
check "--no-color: no colour escapes" \
	sh -c "! grep -Eq '$(printf '\033')\\[[0-9;]*(3[0-7]|4[0-7]|38;5;[0-9]+)m' '$T/screen'"
# Ctrl-L: bytes written to the terminal behind curses stay on screen (only
# dirty windows are redrawn) until a full redraw.
$TMUX_CMD run-shell -t nocolor 'printf "\033[6;8HGARBAGE-BEHIND-CURSES" > #{pane_tty}'
check "bytes written behind curses show on the screen" wait_for 'GARBAGE-BEHIND-CURSES'
keys C-l
check "Ctrl-L redraws the whole screen: they are gone" wait_gone 'GARBAGE-BEHIND-CURSES'
check "Ctrl-L: the tenants are still there" wait_for 'acme .*up to date'
keys q
wait_exit 0 10 nocolor >/dev/null

# A server NOTICE reaches the message line: initech's state table becomes a
# view whose filter raises one, so reading the tenant's rows sends it.
ci=$(sed -n '/^\[tenant initech\]/,/^\[/s/^conninfo = //p' "$CONF" | head -1)
notice_sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$ci" -c "$1" >"$T/psql.out" 2>&1; }
check "initech's rows raise a NOTICE when read" notice_sql "
	ALTER TABLE pgstep.migrations RENAME TO migrations_real;
	CREATE FUNCTION pgstep.hello() RETURNS boolean LANGUAGE plpgsql AS
	  \$\$BEGIN RAISE NOTICE 'hello from the initech server'; RETURN true; END\$\$;
	CREATE VIEW pgstep.migrations AS SELECT * FROM pgstep.migrations_real WHERE pgstep.hello()"
S=notice
tui_start -s notice 100 30 -c "$CONF"
wait_for 'acme .*up to date' 30 >/dev/null
command_line "tenant initech"
wait_for 'Migrations of initech' >/dev/null
keys r
check "the server's NOTICE reaches the message line" \
	wait_for 'initech: NOTICE: hello from the initech server'
check "and does not end up behind curses (the frame is intact)" wait_for '^└'
keys q
wait_exit 0 10 notice >/dev/null
notice_sql "DROP VIEW pgstep.migrations; DROP FUNCTION pgstep.hello();
	ALTER TABLE pgstep.migrations_real RENAME TO migrations" || sed 's/^/# /' "$T/psql.out"

S=ascii
tui_start -s ascii -e LANG=C -e LC_ALL=C 100 30 -c "$CONF"
check "LANG=C: ASCII badges" wait_for 'acme .*\+ up to date' 30
check "LANG=C: ASCII phase markers" wait_for '- phase-0-foundation'
check "LANG=C: frames in + - | (no lqqk letters)" wait_for '^\+- Tenants 3 .*-\+'
screen ascii >"$T/screen"
check "LANG=C: no ACS letters in the frames" sh -c "! grep -Eq '^(lq|x )|qk\$' '$T/screen'"
keys q
check "LANG=C: q exits 0" wait_exit 0 10 ascii

S=demo
keys q
check "q in the demo asks first: quitting deletes the demo's cluster (issue 11)" \
	wait_for 'Quitting stops the demo and deletes its cluster'
keys Enter
demo_ended() { wait_exit 0 60 demo || { screen demo >"$T/screen"; echo "status: $(cat "$T/status.demo" 2>/dev/null)" >>"$T/screen"; return 1; }; }
check "q ends the demo with status 0" demo_ended
done_testing
