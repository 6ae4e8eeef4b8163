#!/bin/sh
# bench/lint.sh: `pgstep lint` against squawk on the same 5,000 generated
# migration files (about 2 MB: CREATE TABLE, ALTER TABLE of many kinds,
# CREATE INDEX with and without CONCURRENTLY, UPDATE/INSERT/DELETE, DO
# blocks, functions with dollar quotes), in one run, best of 3 each (the
# rounds alternate the tools), output to /dev/null. Prints the ratio, the
# single-threaded time and pgstep's peak RSS (/usr/bin/time).
# Target: pgstep <= 0.25x squawk's time, peak RSS < 100 MB.
#   N=5000 ROUNDS=3 JOBS=  (JOBS: pgstep lint --jobs; empty = its default)
. "$(dirname "$0")/common.sh"
N=${N:-5000}
ROUNDS=${ROUNDS:-3}
JOBS=${JOBS:-}
SQUAWK=$(npm_tool squawk-cli squawk) || exit 1
# The npm package's bin is a node script that starts the native binary; time
# the binary itself, so node's start-up is not counted against squawk.
for b in "$NPM_DIR"/node_modules/@squawk-cli/*/bin/squawk; do
	[ -x "$b" ] && SQUAWK=$b
done
W=$(mktemp -d "${TMPDIR:-/tmp}/pgstep-bench-lint.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT HUP INT TERM
BENCH_LOG=$W/bench.log
mkdir "$W/migrations"

# Deterministic files: each holds 3 to 6 statements drawn from the kinds a
# migration history is made of, named after its own table.
awk -v n="$N" -v dir="$W/migrations" '
function pick(k) { seed = (seed * 1103515245 + 12345) % 2147483648; return int(seed / 65536) % k }
BEGIN {
	seed = 42
	for (i = 0; i < n; i++) {
		t = sprintf("t%05d", i)
		f = sprintf("%s/%05d_%s.sql", dir, i, t)
		printf "-- migration %d: %s\n", i, t > f
		stmts = 3 + pick(4)
		for (s = 0; s < stmts; s++) {
			k = pick(20)
			if (k == 0) printf "CREATE TABLE %s (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id bigint NOT NULL, name text NOT NULL, status text NOT NULL DEFAULT %cnew%c, created_at timestamptz NOT NULL DEFAULT now());\n", t, 39, 39 > f
			else if (k == 1) printf "CREATE INDEX %s_account_idx ON %s (account_id);\n", t, t > f
			else if (k == 2) printf "CREATE INDEX CONCURRENTLY IF NOT EXISTS %s_status_idx ON %s (status) WHERE status <> %cdone%c;\n", t, t, 39, 39 > f
			else if (k == 3) printf "ALTER TABLE %s ADD COLUMN note_%d text;\n", t, s > f
			else if (k == 4) printf "ALTER TABLE %s ALTER COLUMN name SET NOT NULL;\n", t > f
			else if (k == 5) printf "ALTER TABLE %s ADD CONSTRAINT %s_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;\n", t, t > f
			else if (k == 6) printf "ALTER TABLE %s VALIDATE CONSTRAINT %s_account_fk;\n", t, t > f
			else if (k == 7) printf "ALTER TABLE %s ALTER COLUMN status TYPE varchar(32);\n", t > f
			else if (k == 8) printf "ALTER TABLE %s RENAME COLUMN note TO remark;\n", t > f
			else if (k == 9) printf "ALTER TABLE %s DROP COLUMN IF EXISTS legacy_flag;\n", t > f
			else if (k == 10) printf "ALTER TABLE %s ADD COLUMN amount_%d numeric(12,2) NOT NULL DEFAULT 0, ADD COLUMN currency_%d char(3);\n", t, s, s > f
			else if (k == 11) printf "UPDATE %s SET status = %cactive%c WHERE status = %cnew%c AND id < %d;\n", t, 39, 39, 39, 39, 1000 + i > f
			else if (k == 12) printf "INSERT INTO %s (account_id, name) SELECT id, %cacct %c || id FROM accounts WHERE id %% 10 = %d;\n", t, 39, 39, s > f
			else if (k == 13) printf "DELETE FROM %s WHERE created_at < now() - interval %c90 days%c;\n", t, 39, 39 > f
			else if (k == 14) printf "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = %c%s_x%c) THEN\n    CREATE INDEX %s_x ON %s (created_at);\n  END IF;\nEND\n$$;\n", 39, t, 39, t, t > f
			else if (k == 15) printf "CREATE OR REPLACE FUNCTION %s_touch() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n  NEW.updated_at := now(); -- keep; it is read by reports\n  RETURN NEW;\nEND\n$fn$;\n", t > f
			else if (k == 16) printf "CREATE TRIGGER %s_touch BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s_touch();\n", t, t, t > f
			else if (k == 17) printf "COMMENT ON TABLE %s IS %cone row per thing; see the design notes%c;\n", t, 39, 39 > f
			else if (k == 18) printf "CREATE FUNCTION %s_total(a bigint) RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(amount_0), 0) FROM %s WHERE account_id = a $$;\n", t, t > f
			else printf "ALTER TABLE %s ADD COLUMN flags_%d int DEFAULT 0;\n", t, s > f
		}
		close(f)
	}
}'
bytes=$(cat "$W"/migrations/*.sql | wc -c)

# run_ms VAR CMD...: one timed run. Exit 1 only says findings were
# reported; 2 or more is a failure.
run_ms() {
	var=$1
	shift
	t0=$(now_ms)
	"$@" >/dev/null 2>>"$BENCH_LOG"
	rc=$?
	t=$(($(now_ms) - t0))
	if [ "$rc" -gt 1 ]; then
		echo "failed ($rc): $*" >&2
		tail -5 "$BENCH_LOG" >&2
		exit 1
	fi
	eval "$var=\$t"
}

set -- "$PGSTEP" lint
[ -n "$JOBS" ] && set -- "$@" --jobs "$JOBS"
# Warm the page cache for both.
"$@" "$W/migrations" >/dev/null 2>&1
"$SQUAWK" "$W"/migrations/*.sql >/dev/null 2>&1
# Rounds alternate the tools, so a busy moment of the machine does not fall
# on one of them only; the best of each is kept.
s_squawk= s_pgstep= s_serial=
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	run_ms t "$SQUAWK" "$W"/migrations/*.sql
	s_squawk="$s_squawk $t"
	run_ms t "$@" "$W/migrations"
	s_pgstep="$s_pgstep $t"
	run_ms t "$PGSTEP" lint --jobs 1 "$W/migrations"
	s_serial="$s_serial $t"
	r=$((r + 1))
done
best() { printf '%s\n' $1 | sort -n | head -1; }
t_squawk=$(best "$s_squawk")
t_pgstep=$(best "$s_pgstep")
t_serial=$(best "$s_serial")
/usr/bin/time -f '%M' -o "$W/rss" "$@" "$W/migrations" >/dev/null 2>&1
rss=$(tail -1 "$W/rss")
rss_mb=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')

echo "lint: $N files, $((bytes / 1024)) KB, best of $ROUNDS, output to /dev/null ($(nproc) CPUs)"
echo "  squawk $("$SQUAWK" --version 2>/dev/null | awk '{ print $NF }')   : $t_squawk ms   (rounds:$s_squawk)"
echo "  pgstep lint    : $t_pgstep ms  ($(ratio "$t_pgstep" "$t_squawk")x squawk; target <= 0.25x)   (rounds:$s_pgstep)"
echo "  pgstep --jobs 1: $t_serial ms  ($(ratio "$t_serial" "$t_squawk")x squawk)   (rounds:$s_serial)"
echo "  pgstep peak RSS: $rss_mb MB (target < 100 MB)"
