#!/bin/sh
# Bad input: each case gets a message naming the file, line or tenant, a
# documented exit code, and changes nothing.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
pg_createdb app

# A small set of our own, so each case breaks exactly one thing.
mk_set() {
	project_new "$TOP_SRCDIR/tests/data/sets/empty-ok" 2>/dev/null || project_new
	rm -rf "$P/migrations"
	mkdir -p "$P/migrations"
	cat >"$P/migrations/001_one.sql" <<'SQL'
-- pgstep:note First table.
-- migrate:up
CREATE TABLE one (id int PRIMARY KEY);
-- migrate:down
DROP TABLE one;
SQL
	cat >"$P/migrations/002_two.up.sql" <<'SQL'
CREATE TABLE two (id int);
SQL
	cat >"$P/migrations/002_two.down.sql" <<'SQL'
DROP TABLE two;
SQL
	conf_tenant acme app acme
}

# --- configuration ---------------------------------------------------------
mk_set
rm "$P/pgstep.conf"
check_exit 2 "missing config exits 2" ps status
like "$TAP_OUT" 'pgstep.conf' "names the missing file"

mk_set
printf '[migrations\ndir = migrations\n' >"$P/pgstep.conf"
check_exit 2 "bad INI exits 2" ps status
like "$TAP_OUT" 'pgstep.conf:1' "names file and line of the bad header"

mk_set
conf_add "[defaults]" "lock_timeoutt = 3s"
check_exit 2 "unknown key exits 2" ps status
like "$TAP_OUT" "pgstep.conf:[0-9]+:.*lock_timeoutt" "names file, line and key"

mk_set
sed -i 's/^dir = migrations/dir = nowhere/' "$P/pgstep.conf"
check_exit 2 "missing migrations directory exits 2" ps status
like "$TAP_OUT" 'nowhere' "names the directory"

check_exit 2 "unknown command exits 2" ps frobnicate
check_exit 2 "unknown option exits 2" ps status --frob
mk_set
check_exit 2 "unknown tenant exits 2" ps status --tenant nobody
like "$TAP_OUT" "unknown tenant 'nobody'" "names the tenant"

# --- migration sets ------------------------------------------------------------
mk_set
printf -- '-- migrate:up\nCREATE TABLE dup (id int);\n-- migrate:down\nDROP TABLE dup;\n' >"$P/migrations/0002_dup.sql"
check_exit 2 "duplicate version exits 2" ps status
like "$TAP_OUT" '0002_dup.sql' "names the first file"
like "$TAP_OUT" '002_two' "names the other file"

mk_set
printf 'DROP TABLE x;\n' >"$P/migrations/003_x.down.sql"
check_exit 2 "unpairable down exits 2" ps status
like "$TAP_OUT" '003_x.down.sql' "names the unpairable file"

mk_set
printf -- '-- migrate:up\nCREATE TABLE caf\351 (id int);\n' >"$P/migrations/003_latin1.sql"
check_exit 2 "non-UTF-8 file exits 2" ps status
like "$TAP_OUT" '003_latin1.sql:2' "names file and line of the bad byte"

mk_set
: >"$P/migrations/003_empty.sql"
check_exit 2 "empty file exits 2" ps status
like "$TAP_OUT" '003_empty.sql' "names the empty file"

mk_set
printf -- '-- pgstep:frobnicate yes\n-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n' >"$P/migrations/003_dir.sql"
check_exit 2 "unknown directive exits 2" ps status
like "$TAP_OUT" '003_dir.sql:1.*frobnicate' "names file, line and directive"

mk_set
printf -- '-- migrate:up\nCREATE TABLE broken (id int;\n-- migrate:down\nDROP TABLE broken;\n' >"$P/migrations/003_syntax.sql"
check_exit 2 "a syntax error refuses the run" ps up --tenant acme --yes
like "$TAP_OUT" '003_syntax.sql.*line 2' "names file and line of the syntax error"
is "$(q app "SELECT count(*) FROM pg_namespace WHERE nspname='pgstep'")" 0 "nothing was written"

# Deep nesting overflowed the stack (SIGSEGV) in the parser's tree output
# and its decoding: refused before parsing, like PostgreSQL refuses it.
mk_set
awk 'BEGIN { printf "-- migrate:up\nSELECT 1"; for (i = 1; i < 4500; i++) printf "+1"; printf ";\n" }' \
	>"$P/migrations/003_deep.sql"
check_exit 2 "4,500 chained terms: up refuses, exit 2" ps up --tenant acme --yes
like "$TAP_OUT" '003_deep.sql.*line 2.*too deeply nested' "names file and line of the deep statement"
check_exit 2 "4,500 chained terms: plan refuses, exit 2" ps plan --tenant acme
like "$TAP_OUT" '003_deep.sql.*line 2.*too deeply nested' "plan names file and line too"
is "$(q app "SELECT count(*) FROM pg_namespace WHERE nspname='pgstep'")" 0 "nothing was written"
mk_set
awk 'BEGIN { printf "CREATE VIEW v AS SELECT "; for (i = 0; i < 4900; i++) printf "+"; printf "1;\n" }' \
	>"$P/migrations/003_unary.sql"
check_exit 2 "4,900 unary operators in a view: up refuses, exit 2" ps up --tenant acme --yes
like "$TAP_OUT" '003_unary.sql.*line 1.*too deeply nested' "names file and line"

# A file of bare ';' holds no statement, like a comment-only file.
mk_set
printf ';;;\n' >"$P/migrations/003_semis.sql"
check_exit 2 "a file of ';;;' exits 2" ps up --tenant acme --yes
like "$TAP_OUT" '003_semis.sql.*holds no SQL' "says it holds no SQL"
is "$(q app "SELECT count(*) FROM pg_namespace WHERE nspname='pgstep'")" 0 "nothing was recorded"
mk_set
printf -- '-- only a comment\n' >"$P/migrations/003_comment.sql"
check_exit 2 "a comment-only file exits 2 the same way" ps up --tenant acme --yes
like "$TAP_OUT" '003_comment.sql.*holds no SQL' "says it holds no SQL"

# --- connections ---------------------------------------------------------------
mk_set
conf_add "[tenant far]" "conninfo = host=127.0.0.1 port=1 dbname=app user=postgres connect_timeout=3"
check_exit 5 "an unreachable tenant makes status exit 5" ps status --json
like "$TAP_OUT" '"name":"far","schema":null,"labels":\{\},"state":"unreachable"' "far is unreachable"
like "$TAP_OUT" '"name":"acme"[^]]*"state":"pending"' "the other tenant is still read"
like "$TAP_OUT" 'far.*(refused|connect)' "libpq's reason is given"

mk_set
conf_add "[tenant bad]" "conninfo = host=$PGHOST port=$PGPORT dbnme=app"
check_exit 2 "a bad conninfo is a configuration error: exit 2" ps status --tenant bad
like "$TAP_OUT" 'pgstep.conf:[0-9]+: .*tenant bad.*dbnme' "names file, line, tenant and the bad option"

q postgres "CREATE ROLE alice LOGIN PASSWORD 'right-password'" >/dev/null
mk_set
conf_add "[tenant pw]" "conninfo = host=127.0.0.1 port=$PGPORT dbname=app user=alice password=wrong-password"
check_exit 5 "wrong password exits 5" ps status --tenant pw
like "$TAP_OUT" 'pw.*password authentication failed' "says the password was refused"
case $TAP_OUT in *wrong-password*) fail "the password is never printed";; *) pass "the password is never printed";; esac

q app "REVOKE CREATE ON DATABASE app FROM PUBLIC; REVOKE CREATE ON SCHEMA public FROM PUBLIC" >/dev/null
mk_set
conf_add "[tenant weak]" "conninfo = host=127.0.0.1 port=$PGPORT dbname=app user=alice password=right-password"
check_exit 1 "missing privileges: up fails with exit 1" ps up --tenant weak --yes
like "$TAP_OUT" 'weak.*(permission denied|42501)' "says permission denied, naming the tenant"

mk_set
conf_add "[tenants]" "control = host=$PGHOST port=$PGPORT dbname=app user=postgres" "query = SELECT slug FROM no_such_table"
check_exit 2 "a failing tenant query exits 2" ps status
like "$TAP_OUT" 'no_such_table' "gives the server's message"

# --- confirmations ---------------------------------------------------------------
mk_set
q app "DROP SCHEMA IF EXISTS pgstep CASCADE; DROP SCHEMA IF EXISTS acme CASCADE" >/dev/null
check_exit 2 "up without --yes and without a terminal refuses" ps up --tenant acme
like "$TAP_OUT" -- '--yes' "says to pass --yes"
is "$(q app "SELECT count(*) FROM pg_namespace WHERE nspname IN ('pgstep','acme')")" 0 "nothing was applied"

done_testing
