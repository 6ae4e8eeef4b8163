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

done_testing
