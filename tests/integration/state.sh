#!/bin/sh
# State that must be right: a failed down leaves the migration applied, a
# broken down file blocks only its own rollback, plan says why it stops,
# --to takes every spelling status shows, and STATE shows checksum drift.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
. "$TOP_SRCDIR/tests/lib/scenario.sh"
pg_start

unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3"
		diag "unexpected match for /$2/ in:" "$1"
	else
		pass "$3"
	fi
}

exists() {
	q "$DB" "SELECT to_regclass('$1') IS NOT NULL"
}

# --- a failed down, rolled back: still applied, a down-failed event ---------------
scenario s1 t1
mig 001_df.sql <<'SQL'
-- migrate:up
CREATE TABLE df_a (id int);
-- migrate:down
DROP TABLE df_a;
DROP TABLE df_missing;
SQL
check_exit 0 "up applies 001" ps up --yes
run down --yes
is "$RC" 1 "a failing down exits 1"
like "$ERR" '001_df\.sql:5' "stderr names the file and line of the failing down statement"
like "$ERR" 'nothing was rolled back' "stderr says nothing was rolled back"
unlike "$ERR" 'nothing was applied' "stderr does not say nothing was applied"
is "$(row df state)" applied "the row stays applied"
is "$(exists df_a)" t "the table is still there"
is "$(events)" "apply,down-failed" "events: apply, then down-failed"
like "$(q "$DB" "SELECT detail FROM pgstep.events WHERE action = 'down-failed'")" '"sqlstate": *"42P01"' \
	"the down-failed event keeps the SQLSTATE"
check_exit 0 "status --json" ps status --json
like "$TAP_OUT" '"state":"ok","applied":1,"pending":0' "status: 1 applied, 0 pending"
run up --yes
is "$RC" 0 "the next up exits 0"
unlike "$ERR$OUT" '42P07' "the next up does not re-run the up"
is "$(events)" "apply,down-failed" "the next up records nothing"
check_exit 0 "status --check is clean" ps status --check

# --- a down that does not parse blocks only its own rollback ----------------------
scenario s2 t2
mig 001_a.sql <<'SQL'
-- migrate:up
CREATE TABLE a (id int);
-- migrate:down
DROP TABLEE a;
SQL
mig 002_b.sql <<'SQL'
-- migrate:up
CREATE TABLE b (id int);
-- migrate:down
DROP TABLE b;
SELECT (;
SQL
mig 003_c.sql <<'SQL'
-- migrate:up
CREATE TABLE c (id int);
-- migrate:down
DROP TABLE c;
SQL
run plan
is "$RC" 0 "plan of a set with two broken downs exits 0"
like "$ERR" '^migrations/001_a\.sql:4: warning: column 6: syntax error at or near "TABLEE" \(in the down: only rolling 001_a back is blocked' \
	"plan names the first broken down's file and line"
like "$ERR" '^migrations/002_b\.sql:5: warning: column 9: syntax error' "and the second's"
is "$(printf '%s\n' "$ERR" | grep -c 'syntax error')" 2 "each problem once"
like "$OUT" '003_c' "the plan lists the migrations"
run up --yes
is "$RC" 0 "up of the set applies it"
is "$(printf '%s\n' "$ERR" | grep -c 'syntax error')" 2 "up reports each broken down once"
is "$(q "$DB" "SELECT string_agg(name || '=' || state, ',' ORDER BY version) FROM pgstep.migrations")" \
	"a=applied,b=applied,c=applied" "all three applied"
check_exit 0 "status accepts the set" ps status
check_exit 0 "down of 003 (its down parses)" ps down --yes
run down --yes
is "$RC" 2 "down of 002 (its down does not parse) exits 2"
like "$ERR" 'the down of 002_b does not parse: .*002_b\.sql: line 5, column 9: syntax error.*nothing was rolled back' \
	"it names the file and line and says nothing was rolled back"
is "$(row b state)" applied "002 stays applied"
is "$(exists b)" t "its table stays"

# --- two ups that do not parse: each reported, nothing applied --------------------
scenario s3 t3
mig 001_a.sql <<'SQL'
-- migrate:up
CREATE TABLEE a (id int);
SQL
mig 002_b.sql <<'SQL'
-- migrate:up
CREATE TABLE b (id int);
SELECT (;
SQL
run up --yes
is "$RC" 2 "up of a set whose ups do not parse exits 2"
like "$ERR" '^migrations/001_a\.sql:2: error: line 2, column 8: syntax error' "the first file and line"
like "$ERR" '^migrations/002_b\.sql:3: error: line 3, column 9: syntax error' "and the second's"
like "$ERR" '2 error\(s\) in the migration set' "two errors"
is "$(exists b)" f "nothing applied"

# --- plan on a dirty tenant says why it stops -------------------------------------
scenario s4 t4
mig 001_nt.sql <<'SQL'
-- migrate:up transaction:false
CREATE TABLE nt_a (id int);
INSERT INTO nt_missing VALUES (1);
-- migrate:down
DROP TABLE nt_a;
SQL
mig 002_next.sql <<'SQL'
-- migrate:up
CREATE TABLE nt_b (id int);
SQL
run up --yes
is "$(row nt state)" dirty "001 is dirty"
run plan
is "$RC" 1 "plan on a dirty tenant exits 1"
like "$OUT" '^t4: not planned: 001_nt is dirty: 1 of 2 statements done; last error: 42P01: relation "nt_missing" does not exist\. .*pgstep plan --resume' \
	"plan prints why, in the plan, with what to do"
run down
is "$RC" 1 "down (asking first) on a dirty tenant exits 1"
like "$OUT" '^t4: not planned: version 001 is dirty: resolve it first' "and says why, not \"nothing to roll back\""
unlike "$OUT" 'nothing to roll back' "never nothing to roll back"
run plan --resume
is "$RC" 0 "plan --resume shows what up --resume would run"
like "$OUT" '^t4: 2 to apply' "both migrations"

# --- --to takes every spelling status shows ----------------------------------------
scenario s5 t5
mig V1_1__init.sql <<'SQL'
CREATE TABLE fw_a (id int);
SQL
mig V1_2__users.sql <<'SQL'
CREATE TABLE fw_b (id int);
SQL
mig U1_2__users.sql <<'SQL'
DROP TABLE fw_b;
SQL
mig V1_10__more.sql <<'SQL'
CREATE TABLE fw_c (id int);
SQL
mig U1_10__more.sql <<'SQL'
DROP TABLE fw_c;
SQL
mig V1_11__last.sql <<'SQL'
CREATE TABLE fw_d (id int);
SQL
run up --to V1_2 --yes
is "$RC" 0 "up --to V1_2 (the Flyway version as in the file name)"
is "$(exists fw_b)$(exists fw_c)" tf "applies up to 1.2"
run plan --to 1_10_more
is "$RC" 0 "plan --to 1_10_more (the label status and the interface show)"
like "$OUT" '^t5: 1 to apply' "plans one migration"
run plan --to more
is "$RC" 0 "plan --to more (the name status prints)"
like "$OUT" '^t5: 1 to apply' "the same"
run up --to V1_10__more.sql --yes
is "$RC" 0 "up --to V1_10__more.sql (the file name)"
is "$(exists fw_c)$(exists fw_d)" tf "applies up to 1.10"
run down --to V1_1 --yes
is "$RC" 0 "down --to V1_1"
is "$(exists fw_a)$(exists fw_b)$(exists fw_c)" tff "rolls back above 1.1"
run up --to nosuch --yes
is "$RC" 2 "an unknown --to is a usage error"
like "$ERR" 'nosuch: no such migration in .*give its version, name or file name' "it says what --to takes"

# --- STATE shows checksum drift -----------------------------------------------------
scenario s6 t6
mig 001_drift.sql <<'SQL'
-- migrate:up
CREATE TABLE drift (id int);
SQL
check_exit 0 "up" ps up --yes
run status
like "$OUT" '^t6 +ok +1 +0' "before the edit: ok"
printf -- '-- edited\n' >>"$P/migrations/001_drift.sql"
run status
like "$OUT" '^t6 +changed +1 +0 +001_drift changed since applied' "after the edit: STATE changed, not ok"
run --json status
like "$OUT" '"name":"t6",[^]]*"state":"changed","applied":1,"pending":0,"changed":1' "JSON: state changed, changed 1"
check_exit 3 "status --check exits 3" ps status --check

done_testing
