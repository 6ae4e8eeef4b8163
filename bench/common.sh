#!/bin/sh
# common.sh: shared by the benchmarks. Finds the built pgstep and the peers
# (psql from postgresql-client, dbmate and squawk from npm, installed into
# bench/.npm on first use), and times commands in milliseconds.
set -u
TOP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
PGSTEP=${PGSTEP:-$TOP_SRCDIR/pgstep}
[ -x "$PGSTEP" ] || { echo "build pgstep first (make)"; exit 2; }
export TOP_SRCDIR PGSTEP
NPM_DIR=$TOP_SRCDIR/bench/.npm

# npm_tool PACKAGE BIN: the path of BIN, installing PACKAGE on first use.
npm_tool() {
	if [ ! -x "$NPM_DIR/node_modules/.bin/$2" ]; then
		mkdir -p "$NPM_DIR"
		(cd "$NPM_DIR" && npm install --silent --no-audit --no-fund "$1" >/dev/null 2>&1) ||
			{ echo "npm install $1 failed" >&2; return 1; }
	fi
	echo "$NPM_DIR/node_modules/.bin/$2"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# time_ms VAR CMD...: run CMD (output to $BENCH_LOG) and store its duration.
time_ms() {
	var=$1
	shift
	t0=$(now_ms)
	"$@" >>"$BENCH_LOG" 2>&1 || {
		echo "failed: $*" >&2
		tail -5 "$BENCH_LOG" >&2
		exit 1
	}
	eval "$var=\$((\$(now_ms) - t0))"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
