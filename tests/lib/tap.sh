#!/bin/sh
# tap.sh: a tiny TAP producer for shell tests (automake's TAP driver reads
# it). Source it; every check prints one "ok N - ..." or "not ok N - ..."
# line, and a failing check prints what it saw as "# " comment lines.
#
#   pass DESC / fail DESC            record a result directly
#   check DESC CMD...                ok when CMD exits 0
#   check_exit CODE DESC CMD...      ok when CMD exits with CODE
#   is "$got" "$want" DESC           string equality
#   like "$text" REGEX DESC          grep -E match
#   diag TEXT                        a comment line
#   done_testing                     prints 1..N; exits 1 if anything failed
#
# check and check_exit leave the command's output (stdout and stderr) in
# TAP_OUT and its exit status in TAP_STATUS for further checks.

TAP_N=0
TAP_FAILED=0
TAP_OUT=
TAP_STATUS=0

# Each argument on its own line(s), as comments.
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

pass() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}

fail() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
}

# Run a command, capturing its output (stdin closed: tests never wait on it).
# Written so that a caller's `set -e` does not end the test on a failure.
tap__run() {
	if TAP_OUT=$("$@" 2>&1 </dev/null); then
		TAP_STATUS=0
	else
		TAP_STATUS=$?
	fi
}

check() {
	desc=$1
	shift
	tap__run "$@"
	if [ "$TAP_STATUS" -eq 0 ]; then
		pass "$desc"
	else
		fail "$desc"
		diag "command: $*" "exit status: $TAP_STATUS" "$TAP_OUT"
	fi
}

check_exit() {
	want=$1
	desc=$2
	shift 2
	tap__run "$@"
	if [ "$TAP_STATUS" -eq "$want" ]; then
		pass "$desc"
	else
		fail "$desc"
		diag "command: $*" "exit status: $TAP_STATUS (want $want)" "$TAP_OUT"
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "got:  '$1'" "want: '$2'"
	fi
}

like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3"
		diag "no match for /$2/ in:" "$1"
	fi
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ] || exit 1
	exit 0
}
