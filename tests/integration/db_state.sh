#!/bin/sh
# db_state.sh: runs the C test of session, state and tenant_source
# (tests/unit/test_state) against a throwaway PostgreSQL server.
. "$TOP_SRCDIR/tests/lib/pg.sh"

pg_start
pg_createdb state_test || {
	echo "Bail out! createdb failed"
	exit 1
}
PGSTEP_TEST_CONNINFO="host=$PGHOST port=$PGPORT user=postgres dbname=state_test"
export PGSTEP_TEST_CONNINFO
# Not exec: the EXIT trap must still stop the server.
"$TOP_BUILDDIR/tests/unit/test_state"
