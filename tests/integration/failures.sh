#!/bin/sh
# Failures and their recorded states: a failing statement mid-file, a
# non-transactional migration left dirty and resumed, repair, the file's own
# BEGIN/COMMIT, down with a changed or an irreversible file, and baselines.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
. "$TOP_SRCDIR/tests/lib/scenario.sh"
pg_start

# events NAME (scenario.sh's, by migration): the actions recorded for NAME, oldest first.
events() {
	q "$DB" "SELECT string_agg(e.action, ',' ORDER BY e.seq) FROM pgstep.events e
		JOIN pgstep.migrations m ON m.tenant = e.tenant AND m.version = e.version
		WHERE e.tenant = '$T' AND m.name = '$1'"
}

exists() {
	q "$DB" "SELECT to_regclass('$1') IS NOT NULL"
}

# --- a failing statement mid-file: nothing applied, a failed row ---------------
scenario f1 t1
mig 001_mid.sql <<'SQL'
-- migrate:up
CREATE TABLE mid_a (id int);
INSERT INTO mid_missing VALUES (1);
CREATE TABLE mid_c (id int);
-- migrate:down
DROP TABLE mid_c;
DROP TABLE mid_a;
SQL
run up --yes
is "$RC" 1 "a failing statement mid-file: up exits 1"
like "$ERR" '001_mid\.sql:3' "stderr names the file and line of statement 2"
like "$ERR" '42P01' "stderr names the SQLSTATE"
like "$ERR" 'tenant t1: 001_mid: statement 2 .*mid_missing.*nothing was applied' \
	"stderr names tenant, migration, statement and says nothing was applied"
is "$(exists mid_a)" f "statement 1's table does not exist"
is "$(row mid 'state, statements_done, statements_total, error_statement, sqlstate')" \
	"failed|0|3|2|42P01" "a failed row naming statement 2 and its SQLSTATE"
like "$(row mid error_message)" 'relation "mid_missing" does not exist' "the row keeps the server's message"
is "$(events mid)" "fail" "one fail event"
check_exit 0 "status --json" ps status --json
like "$TAP_OUT" '"name":"t1"[^]]*"state":"failed","applied":0,"pending":1' "status: the tenant is failed"
like "$TAP_OUT" '"version":"001","name":"mid","phase":"[^"]*","state":"failed".*"statements_done":0,"statements_total":3,"sqlstate":"42P01"' \
	"status: the migration is failed with its SQLSTATE"
sed -i 's/^INSERT INTO mid_missing VALUES (1);/CREATE TABLE mid_b (id int);/' "$P/migrations/001_mid.sql"
check_exit 0 "after fixing the file, up applies it" ps up --yes
is "$(row mid 'state, statements_done, error_statement, sqlstate, error_message')" "applied|3|||" \
	"the row is applied, the error cleared"
is "$(exists mid_a)$(exists mid_b)$(exists mid_c)" ttt "all three tables exist"
# Applied and recorded in one transaction: the tables and the row share the writing xid.
is "$(q f1 "SELECT count(DISTINCT x) FROM (SELECT xmin::text AS x FROM pg_class WHERE relname IN ('mid_a', 'mid_b', 'mid_c')
	UNION ALL SELECT xmin::text FROM pgstep.migrations WHERE name = 'mid') s")" 1 \
	"the statements and the state row were written by one transaction"
is "$(events mid)" "fail,apply" "events: fail, then apply"
check_exit 0 "status --check is clean" ps status --check

# --- a non-transactional migration: dirty at statement 2, then resumed ------------
scenario f2 t2
mig 001_base.sql <<'SQL'
-- migrate:up
CREATE TABLE nt_items (id int);
-- migrate:down
DROP TABLE nt_items;
SQL
mig 002_nt.sql <<'SQL'
-- migrate:up transaction:false
CREATE TABLE nt_a (id int);
INSERT INTO nt_missing VALUES (1);
CREATE INDEX CONCURRENTLY nt_items_id ON nt_items (id);
-- migrate:down transaction:false
DROP INDEX CONCURRENTLY nt_items_id;
DROP TABLE nt_a;
SQL
run up --yes
is "$RC" 1 "a non-transactional migration failing at statement 2: up exits 1"
like "$ERR" '002_nt\.sql:3.*42P01.*state is dirty.*--resume' "stderr: file, line, SQLSTATE, dirty, --resume"
is "$(row nt 'state, statements_done, statements_total, error_statement, sqlstate')" \
	"dirty|1|3|2|42P01" "state dirty with statements_done 1"
is "$(exists nt_a)" t "statement 1's effect stays"
is "$(row base state)" applied "the migration before it is applied"
check_exit 0 "status --json" ps status --json
like "$TAP_OUT" '"name":"t2"[^]]*"state":"dirty"' "status: the tenant is dirty"
like "$TAP_OUT" '"name":"nt","phase":"[^"]*","state":"dirty","checksum_ok":true,"statements_done":1,"statements_total":3' \
	"status: the migration is dirty after 1 of 3"

run up --yes
is "$RC" 1 "up without --resume refuses a dirty migration: exit 1"
like "$ERR" 'tenant t2: 002_nt is dirty: 1 of 3 statements done' "names tenant, migration and progress"
like "$ERR" 'pgstep up --resume' "suggests --resume"
like "$ERR" 'pgstep repair' "suggests repair"
is "$(row nt 'state, statements_done')" "dirty|1" "refusing changed nothing"

# Fix the cause in the database, not the file.
q f2 "CREATE TABLE nt_missing (id int)" >/dev/null
run up --resume --yes
is "$RC" 0 "up --resume completes the migration"
like "$OUT" 'applying 002_nt' "up --resume says what it runs"
like "$OUT" '\[2/3\] line 3' "it restarts at statement 2"
case $OUT in *"[1/3]"*) fail "statement 1 is not run again" ;; *) pass "statement 1 is not run again" ;; esac
is "$(row nt 'state, statements_done, error_statement, sqlstate')" "applied|3||" "the row is applied"
is "$(q f2 "SELECT count(*) FROM nt_missing")" 1 "statement 2 ran once"
is "$(q f2 "SELECT indisvalid FROM pg_index WHERE indexrelid = 'nt_items_id'::regclass")" t \
	"statement 3 built a valid index"
is "$(events nt)" "start,statement,fail,resume,statement,in-flight,apply" \
	"events: start, statement 1, fail, resume, statement 2, CIC in flight, apply"
check_exit 0 "history --json" ps history --json
like "$TAP_OUT" '"action":"resume","version":"2"' "history shows the resume"
check_exit 0 "verify: the chain holds across the interruption" ps verify

# A rollback of it failing at its statement 2 is dirty too, but counted in
# down statements: `up --resume` must not continue the up from there.
q f2 "CREATE VIEW nt_view AS SELECT * FROM nt_a" >/dev/null
run down --yes
is "$RC" 1 "a non-transactional down failing at statement 2: exit 1"
like "$ERR" '002_nt\.sql:7.*2BP01.*state is dirty: see `pgstep repair`' "names file, line, SQLSTATE; points to repair"
is "$(row nt 'state, statements_done, statements_total')" "dirty|1|2" "dirty after 1 of 2 down statements"
run up --resume --yes
is "$RC" 1 "up --resume refuses a migration left dirty by a rollback"
like "$ERR" 'tenant t2: 002_nt is dirty from an interrupted rollback: 1 of 2 down statements done' \
	"says it was a rollback, with its progress"
like "$ERR" 'pgstep repair --tenant t2 --version 002 --mark applied\|rolled_back' "points to repair"
is "$(row nt 'state, statements_done')" "dirty|1" "nothing changed"
is "$(q f2 "SELECT count(*) FROM nt_missing")" 1 "no up statement ran"
is "$(events nt)" "start,statement,fail,resume,statement,in-flight,apply,rollback-start,in-flight,statement,fail" \
	"events: the rollback's start, statement 1 (in flight, done), fail; nothing after"
run up --yes
is "$RC" 1 "up without --resume refuses it too"
like "$ERR" 'dirty from an interrupted rollback' "with the same explanation"
# The DBA finishes the rollback by hand and records it.
q f2 "DROP VIEW nt_view; DROP TABLE nt_a" >/dev/null
check_exit 0 "repair --mark rolled_back" ps repair --tenant t2 --version 2 --mark rolled_back --reason "finished the rollback by hand"
is "$(row nt state)" rolled_back "recorded rolled_back"
check_exit 0 "up applies it again from the start" ps up --yes
is "$(row nt 'state, statements_done')" "applied|3" "applied"
is "$(exists nt_a)" t "statement 1 ran again"

# --- repair --------------------------------------------------------------------
scenario f3 t3
mig 001_rep.up.sql <<'SQL'
-- pgstep:no-transaction
CREATE TABLE rep_a (id int);
SELECT 1/0;
CREATE TABLE rep_c (id int);
SQL
mig 001_rep.down.sql <<'SQL'
DROP TABLE IF EXISTS rep_c;
DROP TABLE rep_a;
SQL
run up --yes
is "$RC" 1 "a pgstep:no-transaction migration failing at statement 2: exit 1"
like "$ERR" '001_rep\.up\.sql:3.*22012' "names file, line and SQLSTATE 22012"
is "$(row rep 'state, statements_done, error_statement, sqlstate')" "dirty|1|2|22012" \
	"dirty with statements_done 1"
is "$(exists rep_a)" t "statement 1's effect stays"

check_exit 2 "repair without --reason exits 2" ps repair --tenant t3 --version 1
like "$TAP_OUT" -- '--reason' "the message asks for --reason"
is "$(row rep 'state, statements_done')" "dirty|1" "nothing changed"
check_exit 2 "repair with an empty --reason exits 2" ps repair --tenant t3 --version 1 --reason ""
is "$(row rep 'state, statements_done')" "dirty|1" "nothing changed"

q f3 "CREATE TABLE rep_c (id int)" >/dev/null
reason="ran statement 3 by hand; statement 2 was a mistake (ticket OPS-17)"
check_exit 0 "repair --tenant --version --reason" ps repair --tenant t3 --version 001 --reason "$reason"
like "$TAP_OUT" 't3: version 001 marked applied' "says what it recorded"
is "$(row rep 'state, statements_done, statements_total')" "applied|3|3" "the migration is marked applied"
is "$(events rep)" "start,statement,fail,repair" "a repair event follows the failure"
check_exit 0 "history --json" ps history --tenant t3 --json
like "$TAP_OUT" '"action":"repair","version":"1"' "history shows the repair"
like "$TAP_OUT" "ticket OPS-17" "history shows the reason"
like "$TAP_OUT" '\\"from\\":\\"dirty\\",\\"to\\":\\"applied\\"' "history shows dirty -> applied"
check_exit 0 "status --check: nothing pending after the repair" ps status --check
check_exit 2 "repairing an applied migration again exits 2" ps repair --tenant t3 --version 1 --reason again
like "$TAP_OUT" 'version 1 is applied: only a dirty or failed' "says why"
check_exit 0 "verify: the chain holds after the repair" ps verify

# --- the file's own BEGIN/COMMIT -------------------------------------------------
scenario f4 t4
mig 001_blk.sql <<'SQL'
-- migrate:up
BEGIN;
CREATE TABLE blk_a (id int);
INSERT INTO blk_missing VALUES (1);
COMMIT;
-- migrate:down
DROP TABLE blk_b;
DROP TABLE blk_a;
SQL
run up --yes
is "$RC" 1 "a failure inside the file's BEGIN block: exit 1"
like "$ERR" '001_blk\.sql:4.*42P01.*nothing was applied' "names file, line, SQLSTATE; nothing applied"
is "$(exists blk_a)" f "nothing of the block remains"
is "$(row blk 'state, statements_done, error_statement')" "failed|0|3" "a failed row naming statement 3"
sed -i 's/^INSERT INTO blk_missing VALUES (1);/CREATE TABLE blk_b (id int);/' "$P/migrations/001_blk.sql"
run up --yes
is "$RC" 0 "the fixed block applies"
case $OUT$ERR in *"already a transaction"*) fail "BEGIN is never nested" ;; *) pass "BEGIN is never nested" ;; esac
is "$(row blk 'state, statements_done, statements_total')" "applied|4|4" "applied, 4 of 4"
# One transaction: the tables and the state row share the writing xid.
is "$(q f4 "SELECT count(DISTINCT x) FROM (SELECT xmin::text AS x FROM pg_class WHERE relname IN ('blk_a', 'blk_b')
	UNION ALL SELECT xmin::text FROM pgstep.migrations WHERE name = 'blk') s")" 1 \
	"the block and its state row were written by one transaction"

mig 002_mix.sql <<'SQL'
-- migrate:up
BEGIN;
CREATE TABLE mix_a (id int);
INSERT INTO mix_a VALUES (1), (1);
COMMIT;
CREATE UNIQUE INDEX CONCURRENTLY mix_a_uq ON mix_a (id);
-- migrate:down
DROP INDEX CONCURRENTLY mix_a_uq;
DROP TABLE mix_a;
SQL
run up --yes
is "$RC" 1 "BEGIN/COMMIT block then a failing CREATE INDEX CONCURRENTLY: exit 1"
like "$ERR" '002_mix\.sql:6.*23505.*state is dirty' "names file, line of the CIC, SQLSTATE; dirty"
is "$(row mix 'state, statements_done, statements_total, error_statement, sqlstate')" "dirty|4|5|5|23505" \
	"dirty with statements_done counting the block (4 of 5)"
is "$(q f4 "SELECT count(*) FROM mix_a")" 2 "the block was committed"
# The block's commit moved the row's progress: its event binds the row.
is "$(events mix)" "start,progress,in-flight,fail" "events: start, progress (the block), the CIC in flight, its failure"
# The DBA cleans up what the failed CIC left and resumes after the block.
q f4 "DROP INDEX IF EXISTS mix_a_uq; DELETE FROM mix_a WHERE ctid <> (SELECT min(ctid) FROM mix_a)" >/dev/null
run up --resume --yes
is "$RC" 0 "up --resume after the block"
is "$(row mix 'state, statements_done')" "applied|5" "applied"
is "$(q f4 "SELECT count(*) FROM mix_a")" 1 "the block did not run again"
is "$(q f4 "SELECT indisvalid FROM pg_index WHERE indexrelid = 'mix_a_uq'::regclass")" t "the index is built"

# A BEGIN without COMMIT is refused before anything runs.
mig 003_open.sql <<'SQL'
-- migrate:up
BEGIN;
CREATE TABLE open_a (id int);
-- migrate:down
DROP TABLE open_a;
SQL
run up --yes
is "$RC" 2 "BEGIN without COMMIT: exit 2"
like "$ERR" '003_open\.sql:2: BEGIN without a matching COMMIT' "names file and line"
is "$(exists open_a)" f "nothing ran"

# --- down: a changed file, --use-file, an irreversible migration -------------------
scenario f5 t5
mig 001_rev.sql <<'SQL'
-- migrate:up
CREATE TABLE rev (id int);
-- migrate:down
DROP TABLE rev;
CREATE TABLE down_v1 ();
SQL
check_exit 0 "apply version 1 of the file" ps up --yes
mig 001_rev.sql <<'SQL'
-- migrate:up
CREATE TABLE rev (id int, note text);
-- migrate:down
DROP TABLE rev;
CREATE TABLE down_v2 ();
SQL
run down --yes
is "$RC" 0 "down of a changed file"
like "$OUT" '001_rev changed since it was applied: running the down SQL stored at apply time' \
	"says it runs the stored down"
is "$(exists down_v1)$(exists down_v2)$(exists rev)" tff "the stored down ran, not the file's"
is "$(row rev state)" rolled_back "recorded rolled_back"
check_exit 0 "apply version 2" ps up --yes
is "$(q f5 "SELECT count(*) FROM pg_attribute WHERE attrelid = 'rev'::regclass AND attname = 'note'")" 1 \
	"version 2 is applied"
mig 001_rev.sql <<'SQL'
-- migrate:up
CREATE TABLE rev (id int, note text, extra int);
-- migrate:down
DROP TABLE rev;
CREATE TABLE down_v3 ();
SQL
run down --use-file --yes
is "$RC" 0 "down --use-file of a changed file"
case $OUT in *"stored at apply time"*) fail "--use-file does not use the stored text" ;;
*) pass "--use-file does not use the stored text" ;; esac
is "$(exists down_v2)$(exists down_v3)$(exists rev)" ftf "the file's down ran"
is "$(row rev state)" rolled_back "recorded rolled_back"

mig 002_irrev.sql <<'SQL'
CREATE TABLE irr (id int);
SQL
check_exit 0 "apply everything" ps up --yes
run down --yes
is "$RC" 1 "down of an up-only migration exits 1"
like "$ERR" 'tenant t5: 002_irrev is irreversible' "the message names tenant and migration"
like "$ERR" 'nothing was rolled back' "says nothing was rolled back"
is "$(exists irr)" t "the table is still there"
is "$(row irrev state)" applied "still applied"
is "$(row rev state)" applied "the migration below is untouched"
is "$(events irrev)" apply "no event besides the apply"

# --- baseline ---------------------------------------------------------------------
scenario f6 empty
conf_tenant used f6b
pg_createdb f6b
mig 001_a.sql <<'SQL'
-- migrate:up
CREATE TABLE base_a (id int);
-- migrate:down
DROP TABLE base_a;
SQL
mig 002_b.sql <<'SQL'
-- migrate:up
CREATE TABLE base_b (id int);
-- migrate:down
DROP TABLE base_b;
SQL
# The used tenant was migrated before the baseline was written.
check_exit 0 "up on the used tenant before the baseline exists" ps up --tenant used --to 1 --yes
is "$(q f6b "SELECT string_agg(name, ',') FROM pgstep.migrations WHERE state = 'applied'")" a "used: 001 applied"
mig 003_baseline.sql <<'SQL'
-- pgstep:baseline
-- pgstep:note The schema as of version 2, for new tenants.
-- migrate:up
CREATE TABLE base_a (id int);
CREATE TABLE base_b (id int);
-- migrate:down
DROP TABLE base_b;
DROP TABLE base_a;
SQL
mig 004_c.sql <<'SQL'
-- migrate:up
CREATE TABLE base_c (id int);
-- migrate:down
DROP TABLE base_c;
SQL
check_exit 0 "up on the empty tenant" ps up --tenant empty --yes
like "$TAP_OUT" 'applying 003_baseline' "the baseline is applied"
case $TAP_OUT in *"applying 001"* | *"applying 002"*) fail "earlier versions are not run" ;;
*) pass "earlier versions are not run" ;; esac
is "$(q f6 "SELECT string_agg(name || '=' || state, ',' ORDER BY version) FROM pgstep.migrations")" \
	"baseline=applied,c=applied" "rows: the baseline and 004 only"
check_exit 0 "up on the used tenant" ps up --tenant used --yes
case $TAP_OUT in *"applying 003"*) fail "the baseline is not applied to a used tenant" ;;
*) pass "the baseline is not applied to a used tenant" ;; esac
is "$(q f6b "SELECT string_agg(name || '=' || state, ',' ORDER BY version) FROM pgstep.migrations")" \
	"a=applied,b=applied,c=applied" "rows: 001, 002, 004"
check_exit 0 "status --json" ps status --all --json
like "$TAP_OUT" '"name":"empty"[^]]*"state":"ok","applied":2,"pending":0' "empty: ok, 2 applied"
like "$TAP_OUT" '"name":"empty"[^]]*"version":"001","name":"a","phase":"[^"]*","state":"skipped"' "empty: 001 skipped"
like "$TAP_OUT" '"name":"empty"[^]]*"version":"002","name":"b","phase":"[^"]*","state":"skipped"' "empty: 002 skipped"
like "$TAP_OUT" '"name":"used"[^]]*"state":"ok","applied":3,"pending":0' "used: ok, 3 applied"
like "$TAP_OUT" '"name":"used"[^]]*"version":"003","name":"baseline","phase":"[^"]*","state":"skipped"' \
	"used: the baseline is skipped"
check_exit 0 "status --check on both" ps status --all --check

# --to below the baseline on an empty tenant: the baseline cannot stand in
# for version 1, so 001 is applied (and the baseline is then skipped).
conf_tenant early f6c
pg_createdb f6c
check_exit 0 "up --to 1 on another empty tenant" ps up --tenant early --to 1 --yes
like "$TAP_OUT" 'applying 001_a' "001 is applied"
check_exit 0 "then up" ps up --tenant early --yes
is "$(q f6c "SELECT string_agg(name || '=' || state, ',' ORDER BY version) FROM pgstep.migrations")" \
	"a=applied,b=applied,c=applied" "early: 001, 002, 004; the baseline skipped"

done_testing
