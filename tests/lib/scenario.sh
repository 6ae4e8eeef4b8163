#!/bin/sh
# scenario.sh: one database, one tenant and an empty migrations directory per
# scenario of an integration test. Source after project.sh and pg_start.
#
#   scenario DB TENANT     a fresh database DB and a project whose tenant is DB
#   mig FILE               write migrations/FILE from stdin
#   run ARGS...            pgstep in $P; RC, OUT and ERR kept apart
#   row NAME COLS          the state row of migration NAME, as a|b|c
#   events                 the tenant's event actions, comma-separated

scenario() {
	[ -n "${P:-}" ] && rm -rf "$P"
	pg_createdb "$1"
	project_new "$TOP_SRCDIR/tests/lib" # any small directory: replaced below
	rm -rf "$P/migrations"
	mkdir "$P/migrations"
	conf_tenant "$2" "$1"
	DB=$1
	T=$2
}

mig() {
	cat >"$P/migrations/$1"
}

run() {
	ps "$@" >"$P/.out" 2>"$P/.err" </dev/null
	RC=$?
	OUT=$(cat "$P/.out")
	ERR=$(cat "$P/.err")
}

row() {
	q "$DB" "SELECT $2 FROM pgstep.migrations WHERE tenant = '$T' AND name = '$1'"
}

events() {
	q "$DB" "SELECT coalesce(string_agg(action, ',' ORDER BY seq), '') FROM pgstep.events WHERE tenant = '$T'"
}
