# tui.sh: sourced by the interface tests (tests/integration/tui_*.sh); drives
# the real program in a private tmux server and prints TAP: private server
# and HOME, fixed terminal, polling waits (never a blind sleep), the screen
# dumped on failure, and the exit status written to a file.
#   PGSTEP   the built binary (required)
: "${PGSTEP:?PGSTEP must point at the built binary}"
command -v tmux >/dev/null || { echo "1..0 # SKIP tmux not installed"; exit 0; }
T=$(mktemp -d "${TMPDIR:-/tmp}/pgstep-tui.XXXXXX") || exit 99
chmod 755 "$T"
printf 'set -g remain-on-exit on\nset -s escape-time 0\nset -g status off\n' >"$T/tmux.conf"
TMUX_CMD="tmux -L pgstep-test-$$ -f $T/tmux.conf" # private server, no user config
S=t n=0 failed=0 DEMO_PID=
# ncurses and readline keep some memory of their own until exit.
LSAN_OPTIONS="suppressions=$TOP_SRCDIR/tests/lib/lsan-tui.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
tui_cleanup() {
	$TMUX_CMD kill-server 2>/dev/null
	if [ -n "$DEMO_PID" ]; then
		kill -INT "$DEMO_PID" 2>/dev/null
		i=0
		while [ $i -lt 200 ] && kill -0 "$DEMO_PID" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	fi
	rm -rf "$T"
}
trap tui_cleanup EXIT
trap 'exit 1' HUP INT TERM PIPE # otherwise a killed test skips the EXIT trap and leaks tmux

# tui_demo: start `pgstep demo` in the background (not on a terminal, so it
# prints and waits) and set CONF and DIR to its config and directory.
tui_demo() {
	(cd "$T" && exec "$PGSTEP" demo >"$T/demo.out" 2>&1 </dev/null) &
	DEMO_PID=$!
	i=0
	while [ $i -lt 1200 ] && ! grep -q 'Press Ctrl-C' "$T/demo.out"; do
		kill -0 $DEMO_PID 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	CONF=$(sed -n 's/.* -c \([^ ]*pgstep.conf\) status.*/\1/p' "$T/demo.out" | head -1)
	if [ -z "$CONF" ]; then
		echo "Bail out! pgstep demo did not start"
		sed 's/^/# /' "$T/demo.out"
		exit 1
	fi
	DIR=$(dirname "$CONF")
}

# tui_start [-s SESSION] [-e VAR=VALUE]... COLS ROWS ARGS...
tui_start() {
	sess=$S extra=
	while :; do
		case $1 in
		-s) sess=$2; shift 2 ;;
		-e) extra="$extra $2"; shift 2 ;;
		*) break ;;
		esac
	done
	cols=$1 rows=$2
	shift 2
	rm -f "$T/status.$sess"
	mkdir -p "$T/home"
	$TMUX_CMD new-session -d -s "$sess" -x "$cols" -y "$rows" \
		"env TERM=tmux-256color LANG=C.UTF-8 NCURSES_NO_UTF8_ACS=1 ESCDELAY=25 \
		 INPUTRC=/dev/null HOME=$T/home XDG_STATE_HOME= $extra $PGSTEP $*; echo \$? > $T/status.$sess"
}
screen()     { $TMUX_CMD capture-pane -p -t "${1:-$S}" 2>/dev/null; }
screen_sgr() { $TMUX_CMD capture-pane -p -e -t "${1:-$S}" 2>/dev/null; }
keys()       { $TMUX_CMD send-keys -t "$S" "$@"; }       # Enter Up Escape C-c ...
type_text()  { $TMUX_CMD send-keys -t "$S" -l -- "$1"; } # literal text
resize()     { $TMUX_CMD resize-window -t "$S" -x "$1" -y "$2"; }
_wait() { # _wait CAPTURE REGEX [SECONDS]: poll until the screen matches
	cap=$1 i=$((${3:-10} * 20))
	while [ "$i" -gt 0 ]; do
		$cap >"$T/screen"
		grep -Eq -- "$2" "$T/screen" && return 0
		sleep 0.05
		i=$((i - 1))
	done
	return 1
}
wait_for() { _wait screen "$@"; }
wait_sgr() { _wait screen_sgr "$@"; }
# wait_gone REGEX [SECONDS]: poll until the screen no longer matches
wait_gone() {
	i=$((${2:-10} * 20))
	while [ "$i" -gt 0 ]; do
		screen >"$T/screen"
		grep -Eq -- "$1" "$T/screen" || return 0
		sleep 0.05
		i=$((i - 1))
	done
	return 1
}
# command TEXT: type a `:` command and run it
command_line() {
	keys :
	wait_for '^:' || return 1
	type_text "$1"
	keys Enter
}
# run_key KEY REGEX: press a key that opens a run (or its dialog) once and
# wait for REGEX. Pressed while the selected tenant's state is still being
# read (just after a start or a run), the action waits for it and runs.
run_key() {
	keys "$1"
	wait_for "$2" 15
}
wait_exit() { # wait_exit STATUS [SECONDS] [SESSION]
	f=$T/status.${3:-$S} i=$((${2:-10} * 20))
	while [ "$i" -gt 0 ] && [ ! -s "$f" ]; do
		sleep 0.05
		i=$((i - 1))
	done
	[ "$(cat "$f" 2>/dev/null)" = "$1" ]
}
check() { # check "description" COMMAND... -> one TAP line; screen shown on failure
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		failed=1
		sed 's/^/#   | /' "$T/screen"
	fi
}
done_testing() {
	echo "1..$n"
	exit $failed
}
