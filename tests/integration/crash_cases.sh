#!/bin/sh
# The deterministic crash cases of issue 10 (crash.sh runs the random ones):
#   (a) kill -9 while a non-transactional INSERT runs: the history says
#       exactly what the server has, and resume does not run it twice;
#   (b) CREATE INDEX CONCURRENTLY interrupted mid-build (kill -9 of pgstep,
#       pg_terminate_backend of its session) leaves an INVALID index: resume
#       leaves no INVALID index, and the migration is never recorded applied
#       while its index is INVALID;
#   (c) the same with CREATE INDEX CONCURRENTLY IF NOT EXISTS;
#   (d) a lost connection (pg_terminate_backend, a fast server restart)
#       reports the server's error, names the tenant once, and is recorded;
#   (e) concurrent first use: 8 pgsteps on 8 schema tenants of a fresh
#       database, and 4 pgsteps on one schema tenant whose schema does not
#       exist yet, all succeed or exit 4 naming the holder
#       (PGSTEP_CRASH_ROUNDS rounds of each, default 10);
#   (f) a COMMIT that lands while its answer is lost (the session ends
#       while it waits for a synchronous standby) is read back as applied,
#       never recorded as a failure and run again;
#   (g) a down in one transaction whose connection is lost is recorded as
#       a down-failed event, the migration still applied.
# These are the tests for issue 10's fixes: on the code before them, (a) to (d)
# fail every time, (e) in most rounds.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
. "$TOP_SRCDIR/tests/lib/crash.sh"
pg_start
# pg.sh turns synchronous_commit off for speed; a crash (restart -m
# immediate) then loses commits the server had acknowledged, which no
# history can describe. fsync may stay off: the machine does not crash.
q postgres "ALTER SYSTEM SET synchronous_commit = on" >/dev/null
q postgres "SELECT pg_reload_conf()" >/dev/null
crash_trap

# scenario DB TENANT: a fresh database and a project with an empty
# migrations directory and one database tenant.
scenario() {
	[ -n "${P:-}" ] && rm -rf "$P"
	pg_createdb "$1"
	project_new "$TOP_SRCDIR/tests/data/sets/crash"
	rm -rf "$P/migrations"
	mkdir "$P/migrations"
	conf_tenant "$2" "$1"
	DB=$1
	T=$2
}

# active PATTERN: wait until a pgstep session runs a statement LIKE PATTERN.
active() {
	wait_sql "$DB" 20 "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'pgstep'
		AND state = 'active' AND query LIKE '$1')"
}

# interrupted: wait for pgstep's end and for its sessions to go (a session
# whose client died may still run, and commit).
interrupted() {
	bg_wait 60 || fail "$1: pgstep ends after the interruption"
	pgstep_gone 30 || fail "$1: no pgstep session is left on the server"
}

row() {
	q "$DB" "SELECT coalesce((SELECT state || ' ' || statements_done || '/' || statements_total
		FROM pgstep.migrations WHERE tenant = '$T' AND version = '$1'), 'none')"
}

index_state() {
	q "$DB" "SELECT coalesce((SELECT CASE WHEN indisvalid THEN 'valid' ELSE 'INVALID' END
		FROM pg_index WHERE indexrelid = to_regclass('$1')), 'absent')"
}

# --- (a) kill -9 0.2 s into a non-transactional INSERT ---------------------------
scenario ca ta
printf '%s\n' 'CREATE TABLE c (id int);' >"$P/migrations/001_c.sql"
cat >"$P/migrations/002_fill.sql" <<'SQL'
-- pgstep:no-transaction
INSERT INTO c SELECT g FROM generate_series(1, 20000) g, pg_sleep(0.6);
CREATE TABLE after_fill (id int);
SQL
bg_start "$P/a" up --yes
if active 'INSERT INTO c SELECT g FROM generate_series%'; then
	sleep 0.2
	kill -KILL "$BG_PID"
	interrupted "(a)"
	r=$(row 2)
	rows=$(q ca "SELECT count(*) FROM c")
	fill=$(q ca "SELECT to_regclass('after_fill') IS NOT NULL")
	case $r in
	"dirty 1/2" | "failed 1/2") want="20000 f" ;;
	"dirty 0/2" | "failed 0/2" | none) want="0 f" ;;
	"applied 2/2") want="20000 t" ;;
	*) want="(no such state)" ;;
	esac
	is "$rows $fill" "$want" "(a) kill -9 0.2 s into the INSERT: the history ($r) describes what the server has (rows in c, after_fill)"
	check_exit 0 "(a) up --resume exits 0" ps up --resume --yes
	is "$(q ca "SELECT count(*) FROM c")" 20000 "(a) after resume c holds 20000 rows, not 40000"
	is "$(row 2) $(q ca "SELECT to_regclass('after_fill') IS NOT NULL")" "applied 2/2 t" "(a) 002 is applied, after_fill exists"
	check_exit 0 "(a) verify exits 0" ps verify
else
	fail "(a) the INSERT shows in pg_stat_activity"
fi

# --- (b), (c) CREATE INDEX CONCURRENTLY interrupted mid-build ---------------------
# crash_slow makes the build take about a second a scan (100,000 rows, 10 ms
# every 1,000).
n=0
for variant in plain ine; do
	for how in kill9 terminate; do
		n=$((n + 1))
		if [ "$variant" = plain ]; then
			case_="(b)"
			cic="CREATE INDEX CONCURRENTLY big_slow_idx ON big (crash_slow(id));"
		else
			case_="(c)"
			cic="CREATE INDEX CONCURRENTLY IF NOT EXISTS big_slow_idx ON big (crash_slow(id));"
		fi
		name="$case_ $how during CREATE INDEX CONCURRENTLY$([ "$variant" = ine ] && echo ' IF NOT EXISTS')"
		scenario "cb$n" "tb$n"
		cat >"$P/migrations/001_big.sql" <<'SQL'
CREATE TABLE big (id int NOT NULL);
INSERT INTO big SELECT g FROM generate_series(1, 100000) g;
CREATE FUNCTION crash_slow(i int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
	IF i % 1000 = 0 THEN
		PERFORM pg_sleep(0.01);
	END IF;
	RETURN i;
END
$$;
SQL
		printf '%s\n' "$cic" 'CREATE TABLE after_idx (id int);' >"$P/migrations/002_idx.sql"
		bg_start "$P/b" up --yes
		# The index is in the catalogue (INVALID) once the build has begun.
		if wait_sql "$DB" 20 "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p
				JOIN pg_stat_activity a USING (pid)
				WHERE a.application_name = 'pgstep' AND p.phase LIKE 'building index%')"; then
			if [ "$how" = kill9 ]; then kill -KILL "$BG_PID"; else terminate_pgstep >/dev/null; fi
			interrupted "$name"
			diag "$name: left the index $(index_state big_slow_idx), 002 $(row 2)"
			r=$(row 2)
			idx=$(index_state big_slow_idx)
			if [ "$idx" = valid ] || [ "${r%% *}" != applied ]; then
				pass "$name: not recorded applied while the index is INVALID ($r, index $idx)"
			else
				fail "$name: not recorded applied while the index is INVALID ($r, index $idx)"
			fi
			check_exit 0 "$name: up --resume exits 0" ps up --resume --yes
			r=$(row 2)
			idx=$(index_state big_slow_idx)
			is "$(q "$DB" "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" 0 "$name: after resume no index is INVALID"
			if [ "$idx" = valid ] || [ "${r%% *}" != applied ]; then
				pass "$name: after resume, not recorded applied while the index is INVALID ($r, index $idx)"
			else
				fail "$name: after resume, not recorded applied while the index is INVALID ($r, index $idx)"
			fi
			is "$r $idx" "applied 2/2 valid" "$name: after resume 002 is applied and its index valid"
			check_exit 0 "$name: verify exits 0" ps verify
		else
			fail "$name: the index build shows in pg_stat_progress_create_index"
			bg_wait 60
		fi
	done
done

# --- (d) a lost connection reads as one ---------------------------------------------
# Each line of ERR naming tenant T names it once, and one does.
tenant_once() {
	printf '%s\n' "$1" | grep -q "$2" &&
		! printf '%s\n' "$1" | grep -q "$2.*$2"
}

n=0
for how in terminate restart-fast; do
	for mode in transaction none; do
		n=$((n + 1))
		name="(d) $how during statement 3 ($mode)"
		scenario "cd$n" "r2A$n"
		q "$DB" "CREATE TABLE nap (s float8); INSERT INTO nap VALUES (30)" >/dev/null
		{
			[ "$mode" = none ] && echo '-- pgstep:no-transaction'
			printf '%s\n' 'CREATE TABLE d1 (id int);' 'CREATE TABLE d2 (id int);' \
				'SELECT pg_sleep(s) FROM nap;' 'CREATE TABLE d3 (id int);'
		} >"$P/migrations/001_slow.sql"
		bg_start "$P/d" up --yes
		if active 'SELECT pg_sleep(s) FROM nap'; then
			if [ "$how" = terminate ]; then terminate_pgstep >/dev/null; else pg_restart fast; fi
			interrupted "$name"
			err=$(cat "$P/d.err")
			# 1 (interrupted) or 5 (connection failed): the issue does not say which.
			like "$BG_RC" '^[15]$' "$name: pgstep exits 1 or 5 ($BG_RC)"
			like "$err" "57P01|terminating connection due to administrator command|connection lost" \
				"$name: the error is the server's (57P01 / connection lost)"
			if printf '%s\n' "$err" | grep -q 'invalid socket'; then
				fail "$name: not \"invalid socket\""
				diag "$err"
			else
				pass "$name: not \"invalid socket\""
			fi
			if tenant_once "$err" "r2A$n"; then
				pass "$name: the tenant is named once"
			else
				fail "$name: the tenant is named once"
				diag "$err"
			fi
			if [ "$mode" = none ]; then
				like "$err" "statement 3.*dirty|dirty.*statement 3" "$name: the message says statement 3 and that the state is dirty"
				is "$(row 1)" "dirty 2/4" "$name: dirty after statement 2"
			else
				r=$(row 1)
				is "${r%% *} $(q "$DB" "SELECT to_regclass('d1') IS NOT NULL")" "${r%% *} f" \
					"$name: statement 1 rolled back ($r)"
				[ "${r%% *}" = applied ] && fail "$name: not recorded applied"
			fi
			q "$DB" "UPDATE nap SET s = 0" >/dev/null
			if [ "$mode" = none ]; then
				check_exit 0 "$name: up --resume exits 0" ps up --resume --yes
			else
				check_exit 0 "$name: up exits 0" ps up --yes
			fi
			# Recorded when the connection came back, or by the next run.
			is "$(q "$DB" "SELECT count(*) > 0 FROM pgstep.events WHERE tenant = '$T' AND action = 'fail'
				AND (detail LIKE '%57P01%' OR detail LIKE '%terminating connection%')")" t \
				"$name: a fail event records the server's error"
		else
			fail "$name: statement 3 shows in pg_stat_activity"
			bg_wait 60
		fi
	done
done

# --- (e) concurrent first use -------------------------------------------------------
# ok_or_locked RC ERR: exit 0, or 4 naming the holder.
ok_or_locked() {
	[ "$1" = 0 ] && return 0
	[ "$1" = 4 ] && printf '%s\n' "$2" | grep -q 'locked by another pgstep: pid [0-9]'
}

[ -n "${P:-}" ] && rm -rf "$P"
project_new "$TOP_SRCDIR/tests/data/sets/crash"
rm -rf "$P/migrations"
mkdir "$P/migrations"
printf '%s\n' 'CREATE TABLE t (id int);' 'INSERT INTO t VALUES (1);' >"$P/migrations/001_t.sql"
ROUNDS=${PGSTEP_CRASH_ROUNDS:-10}
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	pg_createdb "ce$r"
	conf_begin
	i=0
	while [ "$i" -lt 8 ]; do
		i=$((i + 1))
		conf_tenant "e${r}s$i" "ce$r" "e${r}s$i"
	done
	pids=
	i=0
	while [ "$i" -lt 8 ]; do
		i=$((i + 1))
		bg_start "$P/e$i" up --tenant "e${r}s$i" --yes
		pids="$pids $BG_PID"
	done
	bad=
	i=0
	for p in $pids; do
		i=$((i + 1))
		bg_wait 60 "$p"
		ok_or_locked "$BG_RC" "$(cat "$P/e$i.err")" || bad="$bad${bad:+
}e${r}s$i: exit $BG_RC: $(grep -v '^ *\[\|^summary\|^ *$' "$P/e$i.err" | head -n 3)"
	done
	if [ -z "$bad" ]; then
		pass "(e) round $r: 8 concurrent first runs on 8 schema tenants of a fresh database succeed (or exit 4 naming the holder)"
	else
		fail "(e) round $r: 8 concurrent first runs on 8 schema tenants of a fresh database succeed (or exit 4 naming the holder)"
		diag "$bad"
	fi
done

# Several pgsteps at once on one schema tenant whose schema does not exist
# yet (the database and its pgstep schema do): the issue's two, four here
# to make the race on CREATE SCHEMA likelier.
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	conf_begin
	conf_tenant "f$r" ce1 "f$r"
	pids=
	for i in 1 2 3 4; do
		bg_start "$P/f$i" up --yes
		pids="$pids $BG_PID"
	done
	bad= rcs= zero=0
	i=0
	for p in $pids; do
		i=$((i + 1))
		bg_wait 60 "$p"
		rcs="$rcs $BG_RC"
		[ "$BG_RC" = 0 ] && zero=$((zero + 1))
		ok_or_locked "$BG_RC" "$(cat "$P/f$i.err")" ||
			bad="$bad${bad:+
}exit $BG_RC: $(grep -v '^ *\[\|^summary\|^ *$' "$P/f$i.err" | head -n 3)"
	done
	[ "$zero" -gt 0 ] || bad="$bad${bad:+
}none applied it"
	name="(e) round $r: 4 pgsteps at once on a schema tenant whose schema does not exist yet succeed or exit 4 naming the holder (exits$rcs)"
	if [ -z "$bad" ]; then pass "$name"; else fail "$name"; diag "$bad"; fi
	[ "$(q ce1 "SELECT count(*) FROM f$r.t")" = 1 ] || { fail "(e) round $r: the migration ran once"; q ce1 "SELECT count(*) FROM f$r.t" | sed 's/^/# /'; }
done

# --- (f) the COMMIT lands, its answer does not -------------------------------------
# With a synchronous standby named that never comes, a COMMIT waits after it
# is durable; ending the session then leaves it committed while pgstep hears
# only that its connection went. The migration's own SET LOCAL asks for the
# wait; every other session (pgstep's bookkeeping, these checks) commits
# locally. pgstep must read the history it committed, not write a failure
# over it: before, the row said failed and the next up ran it again (42P07).
for how in terminate restart-fast; do
	name="(f) $how while the COMMIT waits"
	scenario "cf$how" "r2F${how%%-*}"
	q postgres "ALTER ROLE postgres SET synchronous_commit = local" >/dev/null
	q postgres "ALTER SYSTEM SET synchronous_standby_names = 'nobody'" >/dev/null
	q postgres "SELECT pg_reload_conf()" >/dev/null
	printf '%s\n' 'CREATE TABLE landed (id int);' 'SET LOCAL synchronous_commit = on;' \
		>"$P/migrations/001_landed.sql"
	bg_start "$P/f" up --yes
	if wait_sql "$DB" 20 "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'pgstep'
		AND wait_event = 'SyncRep')"; then
		if [ "$how" = terminate ]; then terminate_pgstep >/dev/null; else pg_restart fast; fi
		interrupted "$name"
		err=$(cat "$P/f.err")
		is "$(row 1)" "applied 2/2" "$name: the history says applied, as the server has it"
		like "$err" "the commit had landed: it is applied" "$name: pgstep says the commit landed"
	else
		fail "$name: pgstep's COMMIT waits for the standby"
		bg_wait 60
	fi
	q postgres "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
	q postgres "SELECT pg_reload_conf()" >/dev/null
	q postgres "ALTER ROLE postgres RESET synchronous_commit" >/dev/null
	check_exit 0 "$name: up again exits 0, running nothing twice" ps up --yes
	is "$(q "$DB" "SELECT count(*) FROM pgstep.events WHERE tenant = '$T' AND action = 'fail'")" 0 \
		"$name: no failure is recorded"
	check_exit 0 "$name: verify exits 0" ps verify
done

# --- (g) a down in one transaction loses its connection ------------------------------
# Its transaction is rolled back, so the migration is still applied: the
# failure is a down-failed event, never a failed row (with one, the next up
# ran its up again: 42P07).
for how in terminate restart-fast; do
	name="(g) $how during a down"
	scenario "cg$how" "r2G${how%%-*}"
	q "$DB" "CREATE TABLE nap (s float8); INSERT INTO nap VALUES (30)" >/dev/null
	printf '%s\n' '-- migrate:up' 'CREATE TABLE g1 (id int);' '-- migrate:down' \
		'SELECT pg_sleep(s) FROM nap;' 'DROP TABLE g1;' >"$P/migrations/001_g.sql"
	check_exit 0 "$name: up applies it" ps up --yes
	bg_start "$P/g" down --yes
	if active 'SELECT pg_sleep(s) FROM nap'; then
		if [ "$how" = terminate ]; then terminate_pgstep >/dev/null; else pg_restart fast; fi
		interrupted "$name"
		is "$(row 1)" "applied 1/1" "$name: still applied, as the server has it"
		like "$(cat "$P/g.err")" "nothing was rolled back, it is still applied" \
			"$name: the message says it is still applied"
		is "$(q "$DB" "SELECT count(*) FROM pgstep.events WHERE tenant = '$T' AND action = 'down-failed'")" 1 \
			"$name: a down-failed event records it"
	else
		fail "$name: the down's statement shows in pg_stat_activity"
		bg_wait 60
	fi
	q "$DB" "UPDATE nap SET s = 0" >/dev/null
	check_exit 0 "$name: up again exits 0, running nothing twice" ps up --yes
	check_exit 0 "$name: verify exits 0" ps verify
done

done_testing
