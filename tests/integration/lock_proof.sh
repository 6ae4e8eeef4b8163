#!/bin/sh
# lock_proof.sh: the proof that the risk engine's lock claims are true. Every
# statement of the rule corpus runs on a real server inside a transaction;
# the relation locks its backend holds (pg_locks) and the relfilenodes it
# changed are compared with what `pgstep lint --json` claims. The rules of
# the comparison are in tests/integration/lock_proof.c, the world the corpus
# runs in is tests/risk/proof-setup.sql.
. "$TOP_SRCDIR/tests/lib/pg.sh"

pg_start
# Autovacuum would hold locks of its own and keep sessions on the template.
"$PG_BINDIR/psql" -X -q -d postgres -v ON_ERROR_STOP=1 >"$PG_TEST_DIR/proof-setup.log" 2>&1 <<SQL || {
ALTER SYSTEM SET autovacuum = off;
SELECT pg_reload_conf();
CREATE ROLE app_rw;
CREATE ROLE reporting;
SQL
	echo "Bail out! server setup failed"
	sed 's/^/# /' "$PG_TEST_DIR/proof-setup.log"
	exit 1
}
# The tablespace of 145/146 lives in the test directory.
mkdir "$PG_TEST_DIR/archive_disk"
[ "$(id -u)" -eq 0 ] && chown postgres "$PG_TEST_DIR/archive_disk"
"$PG_BINDIR/psql" -X -q -d postgres -v ON_ERROR_STOP=1 \
	-c "CREATE TABLESPACE archive_disk LOCATION '$PG_TEST_DIR/archive_disk'" \
	>>"$PG_TEST_DIR/proof-setup.log" 2>&1 || {
	echo "Bail out! CREATE TABLESPACE failed"
	sed 's/^/# /' "$PG_TEST_DIR/proof-setup.log"
	exit 1
}

# The claims, as a user sees them (exit 1 only says findings exist).
"$PGSTEP" --json lint "$TOP_SRCDIR/tests/risk/corpus" >"$PG_TEST_DIR/claims.json" 2>"$PG_TEST_DIR/lint.err"
if [ $? -gt 1 ]; then
	echo "Bail out! pgstep lint failed"
	sed 's/^/# /' "$PG_TEST_DIR/lint.err"
	exit 1
fi

# Not exec: the EXIT trap must still stop the server.
"$TOP_BUILDDIR/tests/integration/lock_proof" "$TOP_SRCDIR/tests/risk/proof-setup.sql" \
	"$PG_TEST_DIR/claims.json"
