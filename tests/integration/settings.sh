#!/bin/sh
# Effective settings (settings_of): one verdict on pgstep:lock-timeout 0 from
# the loader, lint, plan and up; the lock_timeout, statement_timeout,
# retries and transaction mode plan and lint show with where each comes from
# (directive file:line, pgstep.conf:line, built-in default); and the value
# the runner really sets, read back from the server inside the migration.
. "$TOP_SRCDIR/tests/lib/tap.sh"
# What pgstep says is checked line by line here; its layout at 80 columns
# (wrapped lines) is cli_text.sh's. One message, one line:
COLUMNS=1000
export COLUMNS
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
NO_COLOR=1
export NO_COLOR
pg_start
pg_createdb app
project_new
rm -rf "$P/migrations"
mkdir "$P/migrations"
# conf_begin: lock_timeout = 2s on line 4, lock_retries = 3 on line 5.
conf_tenant solo app

# --- pgstep:lock-timeout 0: refused everywhere, with file and line ----------------------
cat >"$P/migrations/001_zero.sql" <<'SQL'
-- pgstep:note waits forever, if 0 meant what PostgreSQL means
-- pgstep:lock-timeout 0
CREATE TABLE zero (id int);
SQL
REFUSAL='001_zero\.sql:2:.*pgstep:lock-timeout 0: lock_timeout must be > 0: pgstep always sets one'
check_exit 2 "up refuses a migration with pgstep:lock-timeout 0" ps up --all --yes
like "$TAP_OUT" "$REFUSAL" "up names the file, the line and why"
is "$(q app "SELECT to_regclass('zero') IS NULL")" t "nothing ran"
check_exit 2 "lint gives the same verdict (exit 2)" ps lint
like "$TAP_OUT" "$REFUSAL" "lint names the file, the line and why"
check_exit 2 "lint of the file alone too" ps lint migrations/001_zero.sql
like "$TAP_OUT" '^migrations/001_zero\.sql:2:1: error: pgstep:lock-timeout 0: ' \
	"as an error of the file at its line"
check_exit 2 "--json lint: the same exit" ps --json lint migrations/001_zero.sql
like "$TAP_OUT" '"errors":\[\{"line":2,"column":1,"message":"pgstep:lock-timeout 0: lock_timeout must be > 0' \
	"and the error in the file's errors"
check_exit 2 "plan refuses it too" ps plan
like "$TAP_OUT" "$REFUSAL" "plan names the file, the line and why"
printf -- '-- pgstep:lock-timeout 0ms\nSELECT 1;\n' >"$P/migrations/001_zero.sql"
check_exit 2 "0ms is 0" ps lint
rm "$P/migrations/001_zero.sql"

# --- what applies, and why ---------------------------------------------------------------
# Each migration records the settings it runs under.
cat >"$P/migrations/001_five.sql" <<'SQL'
-- pgstep:lock-timeout 5s
CREATE TABLE seen (version int, lock_timeout text, statement_timeout text);
INSERT INTO seen SELECT 1, current_setting('lock_timeout'), current_setting('statement_timeout');
SQL
cat >"$P/migrations/002_conf.sql" <<'SQL'
-- migrate:up
INSERT INTO seen SELECT 2, current_setting('lock_timeout'), current_setting('statement_timeout');
-- migrate:down
DELETE FROM seen WHERE version = 2;
SQL
cat >"$P/migrations/003_index.sql" <<'SQL'
CREATE INDEX CONCURRENTLY seen_version ON seen (version);
INSERT INTO seen SELECT 3, current_setting('lock_timeout'), current_setting('statement_timeout');
SQL
cat >"$P/migrations/004_notx.sql" <<'SQL'
-- pgstep:no-transaction
INSERT INTO seen SELECT 4, current_setting('lock_timeout'), current_setting('statement_timeout');
SQL

check_exit 0 "plan" ps plan
# grep reads line by line: each pattern is one line of the plan.
like "$TAP_OUT" '^    lock_timeout 5s \(pgstep:lock-timeout, 001_five\.sql:1\), statement_timeout off \(built-in default\), lock_retries 3 \(from pgstep\.conf:5\), one transaction \(built-in default\)$' \
	"plan: a directive's lock_timeout names the directive, file and line"
like "$TAP_OUT" '^    lock_timeout 2s \(from pgstep\.conf:4\), statement_timeout off \(built-in default\), lock_retries 3 \(from pgstep\.conf:5\), one transaction \(built-in default\)$' \
	"plan: pgstep.conf's lock_timeout names its line"
like "$TAP_OUT" '^  003_index +2 stmt +none ' "plan: 003 runs outside a transaction"
like "$TAP_OUT" '^    lock_timeout 2s .*, no transaction \(cannot run in a transaction, 003_index\.sql:1\)$' \
	"plan: a statement that cannot run in a transaction is why"
like "$TAP_OUT" '^  004_notx +1 stmt +none ' "plan: 004 runs outside a transaction"
like "$TAP_OUT" '^    lock_timeout 2s .*, no transaction \(pgstep:no-transaction, 004_notx\.sql:1\)$' \
	"plan: the no-transaction directive is why, with file and line"
check_exit 0 "plan --json" ps --json plan
like "$TAP_OUT" '"version":"001",.*"transaction":"single","settings":\{"lock_timeout":\{"ms":5000,"source":"directive","from":"pgstep:lock-timeout, 001_five\.sql:1","file":"[^"]*/001_five\.sql","line":1\},"statement_timeout":\{"ms":0,"source":"default","from":"built-in default","file":null,"line":null\},"lock_retries":\{"count":3,"source":"config","from":"from pgstep\.conf:5","file":"[^"]*pgstep\.conf","line":5\},"transaction":\{"mode":"single","source":"default"' \
	"plan --json: each setting with its value, source, file and line"
like "$TAP_OUT" '"version":"002",.*"lock_timeout":\{"ms":2000,"source":"config","from":"from pgstep\.conf:4"' \
	"plan --json: pgstep.conf's lock_timeout"

check_exit 0 "lint --verbose" ps lint --verbose
like "$TAP_OUT" '001_five\.sql:1:1: info settings: lock_timeout 5s \(pgstep:lock-timeout, 001_five\.sql:1\), statement_timeout off \(built-in default\)' \
	"lint: the directive's lock_timeout and where it comes from"
like "$TAP_OUT" '002_conf\.sql:1:1: info settings: lock_timeout 2s \(from pgstep\.conf:4\)' \
	"lint: pgstep.conf's lock_timeout"
check_exit 0 "--json lint" ps --json lint
like "$TAP_OUT" '"file":"migrations/001_five\.sql",.*"errors":\[\],"settings":\{"lock_timeout":\{"ms":5000,"source":"directive"' \
	"--json lint: the file's settings"
# No pgstep.conf: the built-in default, said so.
mkdir "$P/bare"
cp "$P/migrations/002_conf.sql" "$P/bare/"
check_exit 0 "lint without pgstep.conf" sh -c "cd \"$P/bare\" && \"$PGSTEP\" lint -v 002_conf.sql"
like "$TAP_OUT" '002_conf\.sql:1:1: info settings: lock_timeout 3s \(built-in default\), statement_timeout off \(built-in default\)' \
	"lint: the built-in default"
# A statement_timeout finding says where "none" comes from; with one set it is gone.
printf 'ALTER TABLE t ADD COLUMN c int;\n' >"$P/bare/alter.sql"
check_exit 0 "lint of a lock-taking file" sh -c "cd \"$P/bare\" && \"$PGSTEP\" lint -v alter.sql"
like "$TAP_OUT" 'missing-statement-timeout: .* \(statement_timeout off: built-in default\)' \
	"missing-statement-timeout says where the missing value comes from"

sed -i 's/^lock_retries = 3$/&\nstatement_timeout = 1min/' "$P/pgstep.conf"
check_exit 0 "plan with a statement_timeout in pgstep.conf" ps plan
like "$TAP_OUT" '^    lock_timeout 2s \(from pgstep\.conf:4\), statement_timeout 1min \(from pgstep\.conf:6\), ' \
	"plan: pgstep.conf's statement_timeout and its line"
check_exit 0 "up" ps up --all --yes
is "$(q app "SELECT string_agg(version || '=' || lock_timeout || '/' || statement_timeout, ' ' ORDER BY version) FROM seen")" \
	"1=5s/1min 2=2s/1min 3=2s/1min 4=2s/1min" \
	"the runner sets what plan showed: 5 s from the directive, 2 s from pgstep.conf, its statement_timeout"

done_testing
