#!/bin/sh
# Every C file of the repository is as .clang-format says (clang-format is
# in .ci/install-deps); one check per file, naming the first difference.
. "$TOP_SRCDIR/tests/lib/tap.sh"
cd "$TOP_SRCDIR" || exit 99
if ! command -v clang-format >/dev/null 2>&1; then
	echo "1..0 # SKIP clang-format is not installed"
	exit 0
fi
if [ -d .git ] && command -v git >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h')
else # a release tarball: what it holds
	files=$(find src include tests build-aux -name '*.c' -o -name '*.h' | sort)
fi
for f in $files; do
	if out=$(clang-format --dry-run -Werror "$f" 2>&1); then
		pass "$f is formatted"
	else
		fail "$f is formatted"
		diag "$(printf '%s\n' "$out" | head -6)" "fix: clang-format -i $f"
	fi
done
done_testing
