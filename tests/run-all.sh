#!/bin/sh
# Build with warnings as errors and the sanitizers, run the whole suite
# through automake's TAP driver, and end with one line "N passed, N failed".
# Run from the top of a checkout (README's second command, and .ci/run).
set -u
cd "$(dirname "$0")/.." || exit 2
[ -x configure ] || autoreconf -fi || exit 2
if [ ! -f Makefile ] || ! grep -q -- '-fsanitize' Makefile; then
	./configure --enable-werror --enable-sanitizers || exit 2
fi
make -j2 || exit 2
# Leaks are errors; the server's own children are not instrumented.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
make -j2 check
rc=$?
# The fuzz targets run after the suite (a clang build of their own; FUZZ_SECONDS
# each, 0 skips them). Through automake's TAP driver, so they count below.
env AM_TAP_AWK="${AWK:-awk}" sh build-aux/tap-driver.sh --test-name tests/fuzz/run.sh \
	--log-file tests/fuzz/run.log --trs-file tests/fuzz/run.trs --color-tests no \
	-- sh tests/fuzz/run.sh
grep -q '^:test-result: \(FAIL\|XPASS\|ERROR\)' tests/fuzz/run.trs 2>/dev/null && rc=1
[ -f tests/fuzz/run.trs ] || rc=1
# Count every TAP result line of every test log (*.trs hold them).
passed=$(cat $(find tests -name '*.trs') 2>/dev/null | grep -c '^:test-result: \(PASS\|XFAIL\)')
skipped=$(cat $(find tests -name '*.trs') 2>/dev/null | grep -c '^:test-result: SKIP')
failed=$(cat $(find tests -name '*.trs') 2>/dev/null | grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)')
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1 # the harness itself failed
fi
for f in $(find tests -name '*.log' ! -name test-suite.log); do
	if grep -q '^not ok\|^ERROR\|ERROR: AddressSanitizer\|runtime error:' "$f"; then
		echo "---- $f"; grep -n -A8 '^not ok\|ERROR: AddressSanitizer\|runtime error:' "$f" | head -60
	fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$rc" -eq 0 ]
