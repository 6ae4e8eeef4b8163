#!/bin/sh
# status_async.sh: runs tests/unit/test_status_async against a throwaway
# server: two schema tenants in one database (one up to date, one behind),
# a database with no pgstep schema, and a tenant on a closed port.
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"

pg_start
pg_createdb app >/dev/null || { echo "Bail out! createdb failed"; exit 1; }
pg_createdb fresh >/dev/null || { echo "Bail out! createdb failed"; exit 1; }
project_new
conf_tenant alpha app alpha
conf_tenant beta app beta
conf_tenant fresh fresh
conf_add "[tenant down]" "conninfo = host=127.0.0.1 port=1 dbname=x user=x connect_timeout=3"
ps up --tenant alpha --yes >"$P/up.log" 2>&1 || { echo "Bail out! up failed"; sed 's/^/# /' "$P/up.log"; exit 1; }
ps up --tenant beta --to 010 --yes >"$P/up.log" 2>&1 || { echo "Bail out! up failed"; sed 's/^/# /' "$P/up.log"; exit 1; }
PGSTEP_TEST_CONFIG=$P/pgstep.conf
export PGSTEP_TEST_CONFIG
"$TOP_BUILDDIR/tests/unit/test_status_async"
