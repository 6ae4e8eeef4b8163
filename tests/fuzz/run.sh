#!/bin/sh
# run.sh: build the libFuzzer targets with clang in a build directory of
# their own and run each for a short time; one TAP line per target. CI runs
# it from tests/run-all.sh; tests/fuzz/README.md shows the long run.
#
#   FUZZ_SECONDS  seconds per target (default 30; 0 skips the targets)
#   FUZZ_TARGETS  targets to run (default all: config migset split risk version)
#   FUZZ_MAX_LEN  largest input in bytes (default 2048; see README.md)
#   FUZZ_BUILD    build directory (default build-fuzz/ at the top)
#   FUZZ_CC       compiler (default clang)
#
# New corpus entries go to $FUZZ_BUILD/corpus/TARGET, the seeds in
# tests/fuzz/corpus/TARGET are only read. A crashing, leaking or hanging
# input is kept in $FUZZ_BUILD/crashes/TARGET/ and the target fails.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
seconds=${FUZZ_SECONDS:-30}
targets=${FUZZ_TARGETS:-config migset split risk version}
max_len=${FUZZ_MAX_LEN:-2048}
build=${FUZZ_BUILD:-$top/build-fuzz}
cc=${FUZZ_CC:-clang}

set -- $targets
echo "1..$#"
if [ "$seconds" = 0 ]; then
	for t; do echo "ok - fuzz_$t # SKIP FUZZ_SECONDS=0"; done
	exit 0
fi
if ! command -v "$cc" >/dev/null 2>&1; then
	for t; do echo "ok - fuzz_$t # SKIP $cc not installed (apt-get install clang libclang-rt-14-dev)"; done
	exit 0
fi

mkdir -p "$build" || exit 2
build=$(cd "$build" && pwd)
log=$build/build.log
: >"$log"

bail() {
	echo "Bail out! $1 (log: $log)"
	tail -25 "$log" | sed 's/^/# /'
	exit 1
}

# Automake refuses a VPATH build of a source tree configured in place, as
# tests/run-all.sh leaves it: then build from a copy of the sources. The
# copy keeps modification times, so unchanged files are not rebuilt.
if [ -f "$top/config.status" ]; then
	src=$build/tree
	mkdir -p "$src"
	if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# with what autoreconf made at the top, so it need not run again
		(cd "$top" && { git ls-files --cached --others --exclude-standard
			ls -d configure config.h.in aclocal.m4 Makefile.in build-aux/* m4/* 2>/dev/null; } |
			while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done |
			tar -cf - -T - | tar -C "$src" -xf -) >>"$log" 2>&1 ||
			bail "cannot copy the sources to $src"
	else
		rm -rf "$src"
		make -C "$top" distdir distdir="$src" >>"$log" 2>&1 ||
			bail "make distdir failed"
	fi
	obj=$src
else
	src=$top
	obj=$build/vpath
	mkdir -p "$obj"
fi
if [ ! -x "$src/configure" ]; then
	(cd "$src" && autoreconf -fi) >>"$log" 2>&1 || bail "autoreconf failed"
fi
if [ ! -f "$obj/config.status" ] || ! grep -q -- '--enable-fuzz' "$obj/config.status"; then
	(cd "$obj" && "$src/configure" --enable-fuzz CC="$cc") >>"$log" 2>&1 ||
		bail "configure --enable-fuzz CC=$cc failed"
fi
make -C "$obj" -j2 fuzz >>"$log" 2>&1 || bail "building the fuzz targets failed"

# Leaks are bugs, but for one of libpg_query's own (lsan.supp says which).
ASAN_OPTIONS=${ASAN_OPTIONS_FUZZ:-detect_leaks=1}
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
LSAN_OPTIONS=suppressions=$top/tests/fuzz/lsan.supp:print_suppressions=0
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

n=0
failed=0
for t; do
	n=$((n + 1))
	bin=$obj/tests/fuzz/fuzz_$t
	seeds=$top/tests/fuzz/corpus/$t
	corpus=$build/corpus/$t
	crashes=$build/crashes/$t
	out=$build/fuzz_$t.log
	mkdir -p "$corpus" "$crashes"
	if [ ! -x "$bin" ]; then
		echo "not ok $n - fuzz_$t: no such target"
		failed=$((failed + 1))
		continue
	fi
	dict=
	case $t in
	split | risk | migset) dict=-dict=$top/tests/fuzz/sql.dict ;;
	config) dict=-dict=$top/tests/fuzz/ini.dict ;;
	esac
	stamp=$build/.stamp-$t
	: >"$stamp"
	# The fixtures seed the text targets as they are (not copied into
	# tests/fuzz/corpus); the corpus directory holds only what no fixture has.
	fixtures=
	case $t in
	split | risk) fixtures="$top/migrations $top/tests/data/sets $top/tests/risk/corpus" ;;
	config) fixtures=$top/tests/data/config ;;
	esac
	# Seeds last: libFuzzer writes new inputs to the first directory.
	"$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 $dict \
		-artifact_prefix="$crashes/" "$corpus" "$seeds" $fixtures >"$out" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$out" | tail -1)
	new=$(find "$crashes" -type f -newer "$stamp" | sort)
	rm -f "$stamp"
	if [ "$rc" -eq 0 ] && [ -z "$new" ]; then
		echo "ok $n - fuzz_$t: ${execs:-0} executions in ${seconds}s, ${cov:-no coverage}, no crash"
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz_$t: exit $rc after ${execs:-?} executions, ${cov:-no coverage}"
		for f in $new; do
			echo "# kept: $f"
			echo "# reproduce: $bin $f"
		done
		{ grep -m1 -A8 'ERROR: \|runtime error:\|ALARM: working on the last Unit' "$out"
		  grep -m1 '^SUMMARY: ' "$out"; } | sed 's/^/# /'
		echo "# whole log: $out"
	fi
done
[ "$failed" -eq 0 ]
