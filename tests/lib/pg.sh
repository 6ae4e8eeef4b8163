#!/bin/sh
# pg.sh: a throwaway PostgreSQL server for integration tests. Source it, then
# call pg_start; the server and its directory are removed on exit or on a
# signal. Works as root (the server runs as the postgres user, since initdb
# refuses root) and as a normal user, with no terminal and no stdin.
#
# After pg_start:
#   PGHOST       the unix socket directory (trust authentication)
#   PGPORT       the port; TCP on 127.0.0.1 asks for a scram-sha-256 password,
#                so tests can try a wrong one
#   PGUSER       postgres (the superuser)
#   PG_BINDIR    the server's bin directory
#   PG_TEST_DIR  the temporary directory (data/, log, socket)
#
# Helpers: pg_psql DB [psql args...], pg_createdb NAME, pg_stop.
#
# pg_start sets the EXIT, HUP, INT and TERM traps; a test that needs more
# cleanup sets its own trap afterwards and calls pg_stop from it.

PG_TEST_DIR=
PG__RUN=

# The installed server binaries: pg_config's when it has a server, else the
# highest /usr/lib/postgresql/N/bin (Debian keeps pg_config client-only).
pg__find_bindir() {
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null)
		if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then
			echo "$d"
			return 0
		fi
	fi
	best=
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && [ -x "$d/postgres" ] || continue
		v=${d#/usr/lib/postgresql/}
		v=${v%/bin}
		if [ -z "$best" ] || [ "$v" -gt "${best#*:}" ] 2>/dev/null; then
			best="$d:$v"
		fi
	done
	[ -n "$best" ] || return 1
	echo "${best%:*}"
}

# Run a server command as the cluster's owner.
pg__run() {
	if [ -n "$PG__RUN" ]; then
		runuser -u "$PG__RUN" -- "$@"
	else
		"$@"
	fi
}

pg__fail() {
	echo "Bail out! pg.sh: $*"
	for f in "$PG_TEST_DIR/setup.log" "$PG_TEST_DIR/log"; do
		[ -f "$f" ] && tail -n 20 "$f" | sed 's/^/# /'
	done
	pg_stop
	exit 1
}

pg_start() {
	PG_BINDIR=$(pg__find_bindir) ||
		pg__fail "no PostgreSQL server binaries (apt-get install postgresql)"

	if [ "$(id -u)" -eq 0 ]; then
		# A private TMPDIR of root's may not be reachable by postgres.
		base=/tmp
		PG__RUN=postgres
		id postgres >/dev/null 2>&1 || pg__fail "running as root needs a postgres user"
	else
		base=${TMPDIR:-/tmp}
	fi
	PG_TEST_DIR=$(mktemp -d "$base/pgstep-test.XXXXXX") || pg__fail "mktemp failed"
	trap pg_stop EXIT
	trap 'pg_stop; exit 129' HUP
	trap 'pg_stop; exit 130' INT
	trap 'pg_stop; exit 143' TERM
	# World-readable so root's clients reach the socket of postgres's server.
	chmod 0755 "$PG_TEST_DIR"
	[ -n "$PG__RUN" ] && chown "$PG__RUN" "$PG_TEST_DIR"

	# Keep the caller's libpq settings from leaking into the tests.
	unset PGDATABASE PGSERVICE PGSERVICEFILE PGHOSTADDR PGPASSWORD PGPASSFILE \
		PGOPTIONS PGSSLMODE PGCONNECT_TIMEOUT PGAPPNAME PGDATA

	(cd "$PG_TEST_DIR" && pg__run "$PG_BINDIR/initdb" -D "$PG_TEST_DIR/data" -U postgres \
		--auth=trust -E UTF8 --locale=C -N) >"$PG_TEST_DIR/setup.log" 2>&1 </dev/null ||
		pg__fail "initdb failed"

	# initdb cannot set a password method without a password file; the
	# hba file is written here instead.
	printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 scram-sha-256' \
		>"$PG_TEST_DIR/data/pg_hba.conf"
	cat >>"$PG_TEST_DIR/data/postgresql.conf" <<EOF
unix_socket_directories = '$PG_TEST_DIR'
listen_addresses = '127.0.0.1'
EOF
	# Tests don't need durability; benchmarks set PG_DURABLE=1 to measure
	# what a real server costs (commits that wait for the disk).
	if [ -z "${PG_DURABLE:-}" ]; then
		printf '%s\n' 'fsync = off' 'synchronous_commit = off' 'full_page_writes = off' \
			>>"$PG_TEST_DIR/data/postgresql.conf"
	fi

	# A port in use makes the start fail; try a few others.
	port=$((20000 + ($$ % 20000)))
	tries=0
	while :; do
		if (cd "$PG_TEST_DIR" && pg__run "$PG_BINDIR/pg_ctl" -D "$PG_TEST_DIR/data" \
			-l "$PG_TEST_DIR/log" -w -t 60 -o "-p $port" start) \
			>>"$PG_TEST_DIR/setup.log" 2>&1 </dev/null; then
			break
		fi
		tries=$((tries + 1))
		[ "$tries" -lt 10 ] || pg__fail "pg_ctl start failed"
		port=$((20000 + (port + 7919) % 20000))
	done

	PGHOST=$PG_TEST_DIR
	PGPORT=$port
	PGUSER=postgres
	export PGHOST PGPORT PGUSER PG_BINDIR PG_TEST_DIR
}

pg_stop() {
	[ -n "$PG_TEST_DIR" ] || return 0
	if [ -f "$PG_TEST_DIR/data/postmaster.pid" ]; then
		(cd "$PG_TEST_DIR" && pg__run "$PG_BINDIR/pg_ctl" -D "$PG_TEST_DIR/data" \
			-m immediate -w stop) >/dev/null 2>&1 </dev/null
	fi
	rm -rf "$PG_TEST_DIR"
	command -v project_cleanup >/dev/null 2>&1 && project_cleanup
	PG_TEST_DIR=
}

# pg_psql DB [psql args...]: quiet, unaligned, stops at the first error.
pg_psql() {
	db=$1
	shift
	"$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}

pg_createdb() {
	"$PG_BINDIR/createdb" "$1"
}
