#!/bin/sh
# bench/tui.sh: the interface with 10,000 migrations and 1,000 schema tenants
# (100 applied each, copied as rows), driven in tmux:
#   - time from start to the first complete screen (every badge in);
#     target <= 0.3 s
#   - bytes written to the terminal per cursor move (tmux pipe-pane);
#     target <= 1 KB
#   - peak RSS (VmHWM); target <= 64 MB
. "$(dirname "$0")/common.sh"
TENANTS=${TENANTS:-1000}
MIGRATIONS=${MIGRATIONS:-10000}
APPLIED=${APPLIED:-100}
command -v tmux >/dev/null || { echo "tmux is needed"; exit 2; }
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
BENCH_LOG=$PG_TEST_DIR/bench.log
TMUX_CMD="tmux -L pgstep-bench-$$ -f /dev/null"
trap '$TMUX_CMD kill-server 2>/dev/null; pg_stop' EXIT

project_new
rm -rf "$P/migrations"
mkdir -p "$P/migrations/phase-1" "$P/migrations/phase-2"
awk -v n="$MIGRATIONS" -v dir="$P/migrations" 'BEGIN {
	for (i = 1; i <= n; i++) {
		f = sprintf("%s/phase-%d/%05d_t%d.sql", dir, i <= n / 2 ? 1 : 2, i, i)
		printf "-- pgstep:note Table %d.\n-- migrate:up\nCREATE TABLE t%d (id bigint PRIMARY KEY, v text);\n-- migrate:down\nDROP TABLE t%d;\n", i, i, i > f
		close(f)
	}
}'
pg_createdb app >/dev/null
q app "CREATE TABLE tenants (slug text PRIMARY KEY, schema_name text, region text);
       INSERT INTO tenants SELECT 'tenant' || g, 'tenant' || g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END
       FROM generate_series(1, $TENANTS) g" >/dev/null
conf_add "[tenants]" "control = host=$PGHOST port=$PGPORT dbname=app user=postgres" \
	"query = SELECT slug, schema_name, region FROM tenants"
time_ms t_apply ps up --tenant tenant1 --to "$(printf '%05d' "$APPLIED")" --yes
q app "INSERT INTO pgstep.migrations
       SELECT 'tenant' || g, version, version_text, name, phase, checksum, state,
              statements_total, statements_done, up_sql, down_sql, db_user, os_user,
              client_addr, started_at, finished_at, duration_ms, sqlstate, error_message,
              error_statement
       FROM pgstep.migrations, generate_series(2, $TENANTS) g WHERE tenant = 'tenant1';
       ANALYZE pgstep.migrations" >/dev/null

screen() { $TMUX_CMD capture-pane -p -t b 2>/dev/null; }
# First complete screen: the tenants pane filled and no status loading.
t0=$(now_ms)
$TMUX_CMD new-session -d -s b -x 160 -y 50 \
	"cd '$P' && env TERM=tmux-256color LANG=C.UTF-8 NCURSES_NO_UTF8_ACS=1 HOME=$PG_TEST_DIR INPUTRC=/dev/null '$PGSTEP'"
i=0
while [ $i -lt 3000 ]; do
	s=$(screen)
	case $s in
	*"Tenants $TENANTS "*"pending"*) case $s in *loading*) ;; *) break ;; esac ;;
	esac
	i=$((i + 1))
done
t_first=$(($(now_ms) - t0))
pid=$($TMUX_CMD display-message -p -t b '#{pane_pid}')
child=$(pgrep -P "$pid" | head -1)
[ -n "$child" ] && pid=$child

# wait_change OLD: poll until the screen differs from OLD
wait_change() {
	k=0
	while [ $k -lt 400 ] && [ "$(screen)" = "$1" ]; do k=$((k + 1)); done
}
moves=50
measure_moves() { # measure_moves KEY: bytes per move over $moves moves
	out=$PG_TEST_DIR/pipe.$1
	: >"$out"
	$TMUX_CMD pipe-pane -o -t b "cat >>'$out'"
	m=0
	while [ $m -lt $moves ]; do
		before=$(screen)
		$TMUX_CMD send-keys -t b "$1"
		wait_change "$before"
		m=$((m + 1))
	done
	$TMUX_CMD pipe-pane -t b
	sleep 0.2 # let cat flush what it got (not a wait on the program)
	echo $(($(wc -c <"$out") / moves))
}
$TMUX_CMD send-keys -t b Tab
b_mig=$(measure_moves j)
$TMUX_CMD send-keys -t b S-Tab
b_ten=$(measure_moves j)

# Idle CPU: ticks used over one second with nothing happening.
c0=$(awk '{ print $14 + $15 }' /proc/"$pid"/stat)
sleep 1
c1=$(awk '{ print $14 + $15 }' /proc/"$pid"/stat)
rss=$(awk '/VmHWM/ { print $2 }' /proc/"$pid"/status)
$TMUX_CMD send-keys -t b q

echo "tui: $MIGRATIONS migrations, $TENANTS schema tenants ($APPLIED applied each)"
echo "  first complete screen : $t_first ms (target <= 300)"
echo "  bytes per cursor move : $b_mig in migrations, $b_ten in tenants (target <= 1024)"
echo "  peak RSS              : $((rss / 1024)) MB (target <= 64)"
echo "  idle CPU over 1 s     : $((c1 - c0)) ticks"
