#!/bin/sh
# Crash harness: random interruptions of `pgstep up --all --yes` and what
# they leave. Each trial interrupts a run at a random moment, by one of:
#   kill9               kill -9 of pgstep
#   terminate           pg_terminate_backend of pgstep's session
#   restart-fast        pg_ctl restart -m fast
#   restart-immediate   pg_ctl restart -m immediate (a server crash)
# against tests/data/sets/crash (a transactional migration, a file with its
# own BEGIN/COMMIT blocks, a no-transaction file with slow INSERTs, a CREATE
# TABLE, CREATE INDEX CONCURRENTLY and DROP INDEX CONCURRENTLY, and another
# transactional migration) on two schema tenants and a database tenant, so
# that tenants are hit at different points. Every statement of the set
# leaves an effect that can be seen (an object, or rows tagged with it).
# After each trial it checks:
#   - the history (pgstep.migrations: state, statements_done) describes the
#     schema and the data exactly: each statement recorded done has its
#     effect exactly once, each statement not done has none. The one
#     statement after the last done may be "in flight" only when it cannot
#     run in a transaction (CREATE/DROP INDEX CONCURRENTLY): its index may
#     then be there, valid or INVALID, for resume to decide from;
#   - `pgstep up --all --resume --yes` exits 0;
#   - then every migration is applied exactly once, with its effects;
#   - no index is INVALID;
#   - `pgstep verify` exits 0.
# One TAP line per check, named with the seed, the trial and the moment.
#
# Settings (environment):
#   PGSTEP_CRASH_TRIALS   trials per kind (default 3: 12 trials, about two
#                         minutes on 2 cores)
#   PGSTEP_CRASH_SEED     the random seed (printed; set it to replay a run)
#   PGSTEP_CRASH_KINDS    the kinds to run (default all four, as above)
#
# The long run, from a built tree (about 10 s a trial on 2 cores; replay a
# failure with the seed it printed):
#   PGSTEP_CRASH_TRIALS=200 PGSTEP=$PWD/pgstep TOP_SRCDIR=$PWD \
#       sh tests/integration/crash.sh
#   PGSTEP_CRASH_TRIALS=200 PGSTEP_CRASH_KINDS=kill9 \
#       make check TESTS=tests/integration/crash.sh
# The deterministic cases of issue 10 are in crash_cases.sh.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
. "$TOP_SRCDIR/tests/lib/crash.sh"

TRIALS=${PGSTEP_CRASH_TRIALS:-3}
SEED=${PGSTEP_CRASH_SEED:-$(($(date +%s) % 1000000))}
KINDS=${PGSTEP_CRASH_KINDS:-kill9 terminate restart-fast restart-immediate}
for k in $KINDS; do
	case $k in
	kill9 | terminate | restart-fast | restart-immediate) ;;
	*)
		echo "Bail out! unknown kind '$k' in PGSTEP_CRASH_KINDS"
		exit 1
		;;
	esac
done
diag "seed $SEED, $TRIALS trials of each of: $KINDS" \
	"replay: PGSTEP_CRASH_SEED=$SEED PGSTEP_CRASH_TRIALS=$TRIALS PGSTEP_CRASH_KINDS='$KINDS'"

pg_start
# pg.sh turns synchronous_commit off for speed; a crash (restart -m
# immediate) then loses commits the server had acknowledged, which no
# history can describe. fsync may stay off: the machine does not crash.
q postgres "ALTER SYSTEM SET synchronous_commit = on" >/dev/null
q postgres "SELECT pg_reload_conf()" >/dev/null
crash_trap
pg_createdb crash
probe_setup crash
# Each trial's database tenant gets a copy of this template.
pg_createdb crash_tpl
probe_setup crash_tpl
project_new "$TOP_SRCDIR/tests/data/sets/crash"
W=$P/work
mkdir "$W"

# What the set does, for the checks.
#   M|version|mode|statements   mode: single (one transaction), file (its
#                               own blocks), none (statement by statement)
#   C|version|statement         a statement that cannot run in a transaction
#   P|version|statement|undone by|probe|argument|when done|when not done
#     probes: table NAME, func SIGNATURE, rows TABLE (all rows), tag TAG
#     (rows of c tagged TAG), index NAME (valid, INVALID or absent)
cat >"$W/spec" <<'SPEC'
M|1|single|5
M|2|file|8
M|3|none|9
M|4|single|2
C|3|4
C|3|6
C|3|8
P|1|1|0|table|c|true|false
P|1|2|0|table|big|true|false
P|1|3|0|func|crash_slow(int)|true|false
P|1|4|0|rows|big|60000|0
P|1|5|0|tag|001|1000|0
P|2|2|0|table|blk1|true|false
P|2|3|0|tag|002a|5000|0
P|2|6|0|table|blk2|true|false
P|2|7|0|tag|002b|5000|0
P|3|1|0|tag|003a|20000|0
P|3|2|0|table|after_fill|true|false
P|3|3|0|tag|003b|1000|0
P|3|4|8|index|big_v_idx|valid|absent
P|3|5|0|tag|003c|1000|0
P|3|6|0|index|big_slow_idx|valid|absent
P|3|7|0|tag|003d|1000|0
P|3|9|0|tag|003e|1000|0
P|4|1|0|table|tail|true|false
P|4|2|0|tag|004|2000|0
SPEC

# observe DB SCHEMA: one line "N|value" per probe N of the spec.
observe() {
	awk -F'|' -v s="$2" '
	$1 == "P" {
		n++
		if ($5 == "table") e = "to_regclass('\''" s "." $6 "'\'') IS NOT NULL"
		else if ($5 == "func") e = "to_regprocedure('\''" s "." $6 "'\'') IS NOT NULL"
		else if ($5 == "rows") e = "coalesce(probe.count('\''" s "." $6 "'\'', '\''true'\''), 0)"
		else if ($5 == "tag") e = "coalesce(probe.count('\''" s ".c'\'', '\''tag = '\'''\''" $6 "'\'''\'''\''), 0)"
		else if ($5 == "index") e = "probe.index('\''" s "." $6 "'\'')"
		print "SELECT '\''" n "|'\'' || (" e ")::text;"
	}' "$W/spec" >"$W/observe.sql"
	"$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -f "$W/observe.sql" 2>&1
}

# history DB TENANT: "version|state|statements_done|statements_total" rows.
history() {
	if [ "$(q "$1" "SELECT to_regclass('pgstep.migrations') IS NOT NULL")" = t ]; then
		q "$1" "SELECT version || '|' || state || '|' || statements_done || '|' || statements_total
			FROM pgstep.migrations WHERE tenant = '$2' ORDER BY version"
	fi
}

# compare MODE HISTORY OBSERVED: MODE "now" (after an interruption) or
# "final" (everything must be applied). Prints what does not match (and the
# statements in flight), and fails on a mismatch.
compare() {
	awk -F'|' -v mode="$1" '
	FILENAME == ARGV[1] && $1 == "M" { nv++; ver[nv] = $2; tmode[$2] = $3; total[$2] = $4; next }
	FILENAME == ARGV[1] && $1 == "C" { conc[$2 "|" $3] = 1; next }
	FILENAME == ARGV[1] && $1 == "P" {
		np++; pv[np] = $2; ps[np] = $3; pd[np] = $4; pk[np] = $5; pa[np] = $6
		pdone[np] = $7; pundone[np] = $8; next
	}
	FILENAME == ARGV[2] { hs[$1] = $2; hd[$1] = $3; ht[$1] = $4; next }
	FILENAME == ARGV[3] { split($0, a, "|"); obs[a[1]] = substr($0, length(a[1]) + 2); next }
	END {
		bad = 0
		for (i = 1; i <= nv; i++) {
			v = ver[i]; st = hs[v]
			desc[v] = st == "" ? "no row" : st " " hd[v] "/" ht[v]
			if (st != "" && ht[v] != total[v]) {
				print "  " v ": history says " desc[v] ", the file has " total[v] " statements"; bad++
			}
			if (st == "applied") k[v] = total[v]
			else if ((st == "dirty" || st == "failed") && tmode[v] != "single") k[v] = hd[v]
			else k[v] = 0
			fly[v] = (st != "applied" && tmode[v] != "single") ? k[v] + 1 : 0
			if (mode == "final" && (st != "applied" || hd[v] != total[v])) {
				print "  " v ": " desc[v] ", not applied"; bad++
			}
		}
		for (i = 1; i <= np; i++) {
			v = pv[i]
			want = (k[v] >= ps[i] && (pd[i] == 0 || k[v] < pd[i])) ? pdone[i] : pundone[i]
			got = (i in obs) ? obs[i] : "(no answer)"
			if (got == want) continue
			what = pk[i] " " pa[i] " (statement " ps[i] (pd[i] ? ", undone by " pd[i] : "") ")"
			if (mode != "final" && fly[v] && conc[v "|" fly[v]] && (ps[i] == fly[v] || pd[i] == fly[v]) &&
			    (got == "valid" || got == "INVALID" || got == "absent")) {
				print "  " v ": in flight: " what " is " got " (history: " desc[v] ")"
				continue
			}
			print "  " v ": " what " is " got ", want " want " (history: " desc[v] ")"; bad++
		}
		exit bad > 0
	}' "$W/spec" "$W/hist" "$W/obs"
}

# Tenants of trial N: two schema tenants in database crash, and a database
# tenant with its own database (the pgstep schema is created on first use).
tenants() {
	echo "k${1}a crash k${1}a"
	echo "k${1}b crash k${1}b"
	echo "k${1}d crash_k${1} public"
}

trial_setup() {
	"$PG_BINDIR/createdb" -T crash_tpl "crash_k$1"
	conf_begin
	tenants "$1" | while read -r name db schema; do
		if [ "$schema" = public ]; then conf_tenant "$name" "$db"; else conf_tenant "$name" "$db" "$schema"; fi
	done
}

trial_cleanup() {
	q crash "DROP SCHEMA IF EXISTS k${1}a, k${1}b CASCADE" >/dev/null
	"$PG_BINDIR/dropdb" --if-exists "crash_k$1" >/dev/null 2>&1
}

# state_ok N MODE: compare every tenant of trial N; the differences in
# $W/diff.
state_ok() {
	: >"$W/diff"
	_ok=0
	for _t in $(tenants "$1" | awk '{ print $1 "," $2 "," $3 }'); do
		IFS=, read -r _name _db _schema <<EOF
$_t
EOF
		history "$_db" "$_name" >"$W/hist"
		observe "$_db" "$_schema" >"$W/obs"
		if compare "$2" >"$W/cmp"; then
			[ -s "$W/cmp" ] && { echo "tenant $_name:"; cat "$W/cmp"; } >>"$W/diff"
		else
			_ok=1
			{ echo "tenant $_name:"; cat "$W/cmp"; } >>"$W/diff"
		fi
	done
	return $_ok
}

invalid_indexes() {
	{
		q crash "SELECT n.nspname || '.' || c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE NOT i.indisvalid AND n.nspname IN ('k${1}a', 'k${1}b')"
		q "crash_k$1" "SELECT n.nspname || '.' || c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid"
	} | tr '\n' ' '
}

# rand N: a number in [0, N), the TRIAL-th of the seed's sequence (awk's
# generator: the same sequence for the same seed on one machine).
rand() {
	awk -v s="$SEED" -v t="$TRIAL" -v n="$1" \
		'BEGIN { srand(s % 2147483647); for (i = 0; i < t; i++) x = rand(); print int(x * n) }'
}

# --- calibration: an uninterrupted run, and how long it takes ----------------------
TRIAL=0
trial_setup 0
T0=$(now_ms)
bg_start "$W/run" up --all --yes
bg_wait 300
RUN_MS=$(($(now_ms) - T0))
if [ "$BG_RC" = 0 ] && state_ok 0 final; then
	pass "calibration: an uninterrupted run applies the set exactly ($RUN_MS ms)"
else
	fail "calibration: an uninterrupted run applies the set exactly (exit $BG_RC)"
	diag "$(cat "$W/run.err" "$W/diff")"
	echo "Bail out! the crash set does not apply without interruptions"
	exit 1
fi
check_exit 0 "calibration: verify" ps verify
trial_cleanup 0

# --- the trials --------------------------------------------------------------------
TOTAL=0
SUMMARY=
for kind in $KINDS; do
	missed=0 inflight=0 inexact=0 resume_failed=0 not_once=0 invalid=0 verify_failed=0
	i=0
	while [ "$i" -lt "$TRIALS" ]; do
		i=$((i + 1))
		TOTAL=$((TOTAL + 1))
		TRIAL=$TOTAL
		at=$(rand $((RUN_MS * 9 / 10)))
		trial_setup "$TRIAL"
		bg_start "$W/run" up --all --yes
		sleep_ms "$at"
		name="seed $SEED trial $TRIAL ($kind at $at ms)"
		hit=yes
		if ! bg_alive; then
			hit=no
		else
			case $kind in
			kill9) kill -KILL "$BG_PID" ;;
			terminate)
				# Between two tenants there may be no session for a moment.
				end=$(($(now_ms) + 2000))
				while [ "$(terminate_pgstep)" = 0 ]; do
					if ! bg_alive || [ "$(now_ms)" -ge "$end" ]; then
						hit=no
						break
					fi
					sleep 0.01
				done
				;;
			restart-fast) pg_restart fast || diag "pg_ctl restart -m fast failed" ;;
			restart-immediate) pg_restart immediate || diag "pg_ctl restart -m immediate failed" ;;
			esac
		fi
		if ! bg_wait 60; then
			fail "$name: pgstep ends after the interruption"
		fi
		run_rc=$BG_RC
		[ "$hit" = no ] && missed=$((missed + 1))
		# A session whose client is gone may still be running, and commit.
		if ! pgstep_gone 30; then
			fail "$name: no pgstep session is left on the server"
			q postgres "SELECT pid, state, query FROM pg_stat_activity WHERE application_name = 'pgstep'" | sed 's/^/# /'
		fi
		diag "trial $TRIAL: $kind at $at ms$([ "$hit" = no ] && echo ' (pgstep had finished: nothing interrupted)'); pgstep exited $run_rc"

		if state_ok "$TRIAL" now; then
			pass "$name: the history matches the schema and the data"
			if [ -s "$W/diff" ]; then
				inflight=$((inflight + 1))
				diag "$(cat "$W/diff")"
			fi
		else
			fail "$name: the history matches the schema and the data"
			inexact=$((inexact + 1))
			diag "$(cat "$W/diff")" "pgstep's error output:" "$(tail -n 5 "$W/run.err")"
		fi

		bg_start "$W/resume" up --all --resume --yes
		bg_wait 120
		if [ "$BG_RC" = 0 ]; then
			pass "$name: up --all --resume exits 0"
		else
			fail "$name: up --all --resume exits 0"
			resume_failed=$((resume_failed + 1))
			diag "exit $BG_RC" "$(grep -v '^ *\[\|^  k[0-9]*[abd] *ok$' "$W/resume.err" | tail -n 8)"
		fi

		if state_ok "$TRIAL" final; then
			pass "$name: then everything is applied exactly once"
		else
			fail "$name: then everything is applied exactly once"
			not_once=$((not_once + 1))
			diag "$(cat "$W/diff")"
		fi

		bad=$(invalid_indexes "$TRIAL")
		if [ -z "$bad" ]; then
			pass "$name: no index is INVALID"
		else
			fail "$name: no index is INVALID"
			invalid=$((invalid + 1))
			diag "INVALID: $bad"
		fi

		check_exit 0 "$name: verify exits 0" ps verify
		[ "$TAP_STATUS" = 0 ] || verify_failed=$((verify_failed + 1))
		trial_cleanup "$TRIAL"
	done
	SUMMARY="$SUMMARY
$kind: $TRIALS trials ($missed after pgstep had finished, $inflight with an index statement in flight), $inexact inexact states, $resume_failed failed resumes, $not_once not applied exactly once after resume, $invalid with an INVALID index, $verify_failed failed verify"
done

diag "crash harness, seed $SEED (a run takes $RUN_MS ms uninterrupted):$SUMMARY"
done_testing
