#!/bin/sh
# project.sh: a scratch pgstep project for integration tests. Source after
# pg.sh and pg_start. project_new makes $P (removed at exit by pg.sh's trap
# chain through project_cleanup) holding a copy of the sample migrations.
#
#   project_new [MIGRATIONS_DIR]   copy a migration set into $P/migrations
#   conf_begin / conf_tenant NAME DB [SCHEMA] [LABELS] / conf_add TEXT
#   ps ARGS...                     run pgstep in $P with its config
#   q DB SQL                       one psql query, unaligned output
#   wait_sql DB SECONDS SQL        poll until the query prints t
#   now_ms                         milliseconds since the epoch

project_new() {
	P=$(mktemp -d "${TMPDIR:-/tmp}/pgstep-proj.XXXXXX") || exit 99
	cp -R "${1:-$TOP_SRCDIR/migrations}" "$P/migrations"
	chmod -R u+w "$P"
	conf_begin
}

conf_begin() {
	cat >"$P/pgstep.conf" <<CONF
[migrations]
dir = migrations
[defaults]
lock_timeout = 2s
lock_retries = 3
CONF
}

conf_add() {
	printf '%s\n' "$@" >>"$P/pgstep.conf"
}

# conf_tenant NAME DB [SCHEMA] [LABELS]
conf_tenant() {
	conf_add "[tenant $1]" "conninfo = host=$PGHOST port=$PGPORT dbname=$2 user=postgres"
	[ -n "${3:-}" ] && conf_add "schema = $3"
	[ -n "${4:-}" ] && conf_add "labels = $4"
	return 0
}

ps() {
	(cd "$P" && "$PGSTEP" "$@")
}

q() {
	_q_db=$1
	shift
	"$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$_q_db" -c "$*" 2>&1
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# wait_sql DB SECONDS SQL: poll until the query prints t; false on timeout.
wait_sql() {
	ws_db=$1
	ws_end=$(($(now_ms) + $2 * 1000))
	shift 2
	while [ "$(q "$ws_db" "$*")" != t ]; do
		[ "$(now_ms)" -lt "$ws_end" ] || return 1
		sleep 0.05
	done
}

project_cleanup() {
	[ -n "${P:-}" ] && rm -rf "$P"
}
