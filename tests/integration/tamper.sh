#!/bin/sh
# Tamper evidence of the state schema (issue 10): every edit of pgstep's
# tables that the issue lists is found by `pgstep verify` (exit 3, naming the
# tenant and what is wrong), with and without an audit key or an anchor, and
# untampered histories (up, down, failures, a dirty run resumed, repair, a
# version 1 schema upgraded in place) verify clean.
. "$TOP_SRCDIR/tests/lib/tap.sh"
# What pgstep says is checked line by line here; its layout at 80 columns
# (wrapped lines) is cli_text.sh's. One message, one line:
COLUMNS=1000
export COLUMNS
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
. "$TOP_SRCDIR/tests/lib/scenario.sh" # run
pg_start

N=0
# fresh [KEY]: a new database with two schema tenants (acme, globex) and
# three migrations (one without a transaction) applied to both; with KEY
# the project has an audit key.
fresh() {
	N=$((N + 1))
	DB=tp$N
	[ -n "${P:-}" ] && rm -rf "$P"
	pg_createdb "$DB"
	project_new "$TOP_SRCDIR/tests/lib" # any small directory: replaced below
	rm -rf "$P/migrations"
	mkdir "$P/migrations"
	conf_tenant acme "$DB" acme
	conf_tenant globex "$DB" globex
	if [ "${1:-}" = key ]; then
		head -c 32 /dev/urandom >"$P/audit.key"
		chmod 600 "$P/audit.key"
		conf_add "[audit]" "key_file = audit.key"
	fi
	cat >"$P/migrations/001_users.sql" <<'SQL'
-- migrate:up
CREATE TABLE users (id int);
-- migrate:down
DROP TABLE users;
SQL
	cat >"$P/migrations/002_orders.sql" <<'SQL'
-- migrate:up
CREATE TABLE orders (id int);
-- migrate:down
DROP TABLE orders;
SQL
	cat >"$P/migrations/003_idx.sql" <<'SQL'
-- migrate:up
-- pgstep:no-transaction
CREATE INDEX CONCURRENTLY users_id ON users (id);
CREATE TABLE after_idx (id int);
-- migrate:down
DROP TABLE after_idx;
DROP INDEX CONCURRENTLY users_id;
SQL
	run up --all --yes
	[ "$RC" = 0 ] || diag "setup: up failed: $ERR"
}

# clean DESC [ARGS...]: verify exits 0.
clean() {
	d=$1
	shift
	run verify --all "$@"
	is "$RC" 0 "$d: verify exits 0"
	[ "$RC" = 0 ] || diag "$OUT" "$ERR"
}

# found DESC REGEX [ARGS...]: verify exits 3 and says REGEX.
found() {
	d=$1
	re=$2
	shift 2
	run verify --all "$@"
	is "$RC" 3 "$d: verify exits 3"
	like "$OUT" "$re" "$d: names the tenant and the problem"
}

# The canonical texts of pgstep(1), TAMPER EVIDENCE, in SQL: what someone
# who can write the database computes to re-forge an unkeyed chain.
FORGE_FUNCS="
CREATE FUNCTION pg_temp.f(v text) RETURNS text LANGUAGE sql AS
\$\$ SELECT CASE WHEN v IS NULL THEN E'-\n' ELSE octet_length(v) || ':' || v || E'\n' END \$\$;
CREATE FUNCTION pg_temp.ts(t timestamptz) RETURNS text LANGUAGE sql AS
\$\$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \$\$;
CREATE FUNCTION pg_temp.sha(t text) RETURNS text LANGUAGE sql AS
\$\$ SELECT encode(sha256(convert_to(t, 'UTF8')), 'hex') \$\$;
CREATE FUNCTION pg_temp.row_hash(m pgstep.migrations) RETURNS text LANGUAGE sql AS \$\$
SELECT pg_temp.sha(E'pgstep row 2\n' || pg_temp.f(m.tenant) || pg_temp.f(m.version)
 || pg_temp.f(m.version_text) || pg_temp.f(m.name) || pg_temp.f(m.phase)
 || pg_temp.f(m.checksum) || pg_temp.f(m.state) || pg_temp.f(m.statements_total::text)
 || pg_temp.f(m.statements_done::text) || pg_temp.f(m.db_user) || pg_temp.f(m.os_user)
 || pg_temp.f(m.client_addr) || pg_temp.f(pg_temp.ts(m.started_at))
 || pg_temp.f(pg_temp.ts(m.finished_at)) || pg_temp.f(coalesce(m.duration_ms, 0)::text)
 || pg_temp.f(m.sqlstate) || pg_temp.f(m.error_message)
 || pg_temp.f(coalesce(m.error_statement, 0)::text)
 || pg_temp.f(pg_temp.sha(m.up_sql)) || pg_temp.f(pg_temp.sha(m.down_sql))) \$\$;
CREATE FUNCTION pg_temp.event_hash(e pgstep.events, prev text, row_hash text) RETURNS text
LANGUAGE sql AS \$\$
SELECT pg_temp.sha(concat_ws(chr(31), e.seq::text, e.tenant, coalesce(e.version, chr(30)),
 e.action, coalesce(e.detail, chr(30)), coalesce(e.db_user, chr(30)),
 coalesce(e.os_user, chr(30)), coalesce(e.client_addr, chr(30)), pg_temp.ts(e.at), prev)
 || CASE WHEN row_hash IS NULL THEN '' ELSE chr(31) || row_hash END) \$\$;
"

# forge TENANT: recompute every row hash and event hash of TENANT's chain
# from the rows as they are now, and its head: a complete re-forge.
forge() {
	q "$DB" "$FORGE_FUNCS
DO \$\$
DECLARE e pgstep.events; prev text := repeat('0', 64); h text; rh text;
BEGIN
	FOR e IN SELECT * FROM pgstep.events WHERE tenant = '$1' ORDER BY seq LOOP
		rh := e.row_hash;
		SELECT pg_temp.row_hash(m) INTO rh FROM pgstep.migrations m
			WHERE m.tenant = e.tenant AND m.event_seq = e.seq;
		IF NOT FOUND THEN rh := e.row_hash; END IF;
		h := pg_temp.event_hash(e, prev, rh);
		UPDATE pgstep.events SET prev_hash = prev, hash = h, row_hash = rh
			WHERE tenant = e.tenant AND seq = e.seq;
		UPDATE pgstep.migrations SET event_hash = h WHERE tenant = e.tenant AND event_seq = e.seq;
		prev := h;
	END LOOP;
	UPDATE pgstep.heads SET hash = prev WHERE tenant = '$1';
END \$\$;"
}

# --- untampered histories verify clean ------------------------------------------
fresh
clean "after up"
is "$(q "$DB" "SELECT count(*) FROM pgstep.migrations WHERE event_seq IS NULL OR event_hash IS NULL")" 0 \
	"every row written is bound to an event"
is "$(q "$DB" "SELECT string_agg(h.tenant || ':' || h.seq, ',' ORDER BY h.tenant) FROM pgstep.heads h")" \
	"$(q "$DB" "SELECT string_agg(tenant || ':' || m, ',' ORDER BY tenant) FROM (SELECT tenant, max(seq) m FROM pgstep.events GROUP BY tenant) s")" \
	"each head is its chain's last event"
run down --tenant acme --yes
is "$RC" 0 "down one"
clean "after down"

cat >"$P/migrations/004_bad.sql" <<'SQL'
-- migrate:up
CREATE TABLE bad_a (id int);
INSERT INTO bad_missing VALUES (1);
SQL
run up --tenant globex --yes
is "$RC" 1 "a failing migration: exit 1"
clean "after a failed run"
rm "$P/migrations/004_bad.sql"

cat >"$P/migrations/004_nt.sql" <<'SQL'
-- migrate:up
-- pgstep:no-transaction
CREATE TABLE nt_a (id int);
INSERT INTO nt_missing VALUES (1);
CREATE TABLE nt_c (id int);
SQL
run up --tenant globex --yes
is "$RC" 1 "a non-transactional migration stops dirty: exit 1"
run verify --all
is "$RC" 3 "dirty: verify says so (exit 3)"
like "$OUT" "004_nt.*dirty at statement 2 of 3" "dirty is the only finding"
case $OUT in *altered* | *missing* | *forged* | *keyed*) fail "a dirty run is no tampering" ;; *) pass "a dirty run is no tampering" ;; esac
q "$DB" "CREATE TABLE globex.nt_missing (id int)" >/dev/null
run up --tenant globex --resume --yes
is "$RC" 0 "resume completes it"
clean "after a dirty run and its resume"
q "$DB" "CREATE TABLE acme.nt_missing (id int)" >/dev/null

cat >"$P/migrations/005_nt2.sql" <<'SQL'
-- migrate:up
-- pgstep:no-transaction
CREATE TABLE r_a (id int);
INSERT INTO r_missing VALUES (1);
SQL
run up --tenant acme --yes
is "$RC" 1 "another dirty run"
run repair --tenant acme --version 5 --mark rolled_back --reason "cleaned up by hand"
is "$RC" 0 "repair"
clean "after repair"

# kill -9 mid-run: whatever was committed is bound, nothing reads as tampering.
q "$DB" "CREATE TABLE public.nap (s float8); INSERT INTO public.nap VALUES (30);
	CREATE TABLE globex.r_missing (id int)" >/dev/null
cat >"$P/migrations/006_nap.sql" <<'SQL'
-- migrate:up
-- pgstep:no-transaction
CREATE TABLE nap_a (id int);
SELECT pg_sleep(s) FROM public.nap;
CREATE TABLE nap_c (id int);
SQL
(cd "$P" && exec "$PGSTEP" up --tenant globex --yes) >/dev/null 2>&1 </dev/null &
pid=$!
if wait_sql "$DB" 20 "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'pgstep'
	AND state = 'active' AND query = 'SELECT pg_sleep(s) FROM public.nap'"; then
	pass "kill -9: pgstep is in statement 2"
else
	fail "kill -9: pgstep is in statement 2"
fi
kill -KILL "$pid"
wait "$pid" 2>/dev/null
wait_sql "$DB" 10 "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'pgstep')" ||
	diag "the killed pgstep's session is still there"
run verify --all
is "$RC" 3 "after kill -9: verify reports the dirty row"
case $OUT in *altered* | *missing* | *forged* | *keyed* | *"bound to"*) fail "after kill -9: no tampering reported" ;;
*) pass "after kill -9: no tampering reported" ;; esac
q "$DB" "UPDATE public.nap SET s = 0" >/dev/null
run up --tenant globex --resume --yes
is "$RC" 0 "after kill -9: resume"
clean "after kill -9 and resume"

# --- events deleted -------------------------------------------------------------
fresh
q "$DB" "DELETE FROM pgstep.events WHERE tenant = 'acme' AND seq = (SELECT max(seq) FROM pgstep.events WHERE tenant = 'acme')" >/dev/null
found "the last event deleted" "tenant acme: event [0-9]+ is missing at the end of the chain"
like "$OUT" "tenant acme: the migrations row of version 3 \(idx\) was written by event [0-9]+, which is missing" \
	"and the row it wrote names it"
case $OUT in *"tenant globex"*) fail "the other tenant is not blamed" ;; *) pass "the other tenant is not blamed" ;; esac

fresh
q "$DB" "DELETE FROM pgstep.events WHERE tenant = 'acme' AND seq > (SELECT max(seq) - 3 FROM pgstep.events WHERE tenant = 'acme')" >/dev/null
found "the last 3 events deleted" "tenant acme: events [0-9]+-[0-9]+ are missing at the end of the chain"

fresh
q "$DB" "DELETE FROM pgstep.events WHERE tenant = 'acme'" >/dev/null
found "all events of a tenant deleted" "tenant acme: all [0-9]+ events are missing"
like "$OUT" "tenant acme: the event log is empty but 3 migrations rows remain" "and the rows are orphans"

fresh
q "$DB" "DELETE FROM pgstep.events WHERE tenant = 'acme'; DELETE FROM pgstep.heads WHERE tenant = 'acme'" >/dev/null
found "all events and the head deleted" "tenant acme: the event log is empty but 3 migrations rows remain"

fresh
q "$DB" "DELETE FROM pgstep.events WHERE tenant = 'acme' AND seq = (SELECT max(seq) FROM pgstep.events WHERE tenant = 'acme'); DELETE FROM pgstep.heads WHERE tenant = 'acme'" >/dev/null
found "the last event and the head deleted" "tenant acme: the chain's head row in pgstep.heads is missing"
run up --tenant acme --yes
is "$RC" 0 "nothing pending: up does not write"
cat >"$P/migrations/004_more.sql" <<'SQL'
-- migrate:up
CREATE TABLE more (id int);
SQL
run up --tenant acme --yes
is "$RC" 1 "a write to a chain without its head is refused"
like "$ERR" "tenant acme: the event log has events .* but no head in pgstep.heads" "and says why"

# --- migrations rows edited or deleted -------------------------------------------
fresh
q "$DB" "UPDATE pgstep.migrations SET state = 'rolled_back' WHERE tenant = 'acme' AND version = '2'" >/dev/null
found "state edited" "tenant acme: the migrations row of version 2 \(orders\) was altered after event [0-9]+ \(apply 2\) wrote it: it now says rolled_back"

fresh
q "$DB" "UPDATE pgstep.migrations SET up_sql = 'CREATE TABLE orders (id bigint);' WHERE tenant = 'acme' AND version = '2'" >/dev/null
found "up_sql edited" "tenant acme: the migrations row of version 2 \(orders\) was altered"

fresh
q "$DB" "UPDATE pgstep.migrations SET down_sql = 'DROP TABLE users CASCADE;' WHERE tenant = 'globex' AND version = '2'" >/dev/null
found "down_sql edited (which down would run)" "tenant globex: the migrations row of version 2 \(orders\) was altered"

fresh
q "$DB" "UPDATE pgstep.migrations SET statements_done = 1 WHERE tenant = 'acme' AND version = '3'" >/dev/null
found "statements_done edited" "tenant acme: the migrations row of version 3 \(idx\) was altered .* it now says applied, 1 of 2 statements done"

fresh
q "$DB" "DELETE FROM pgstep.migrations WHERE tenant = 'acme' AND version = '2'" >/dev/null
found "a migrations row deleted" "tenant acme: the migrations row of version 2 is missing: event [0-9]+ \(apply 2\) wrote it last"

fresh
q "$DB" "UPDATE pgstep.migrations SET tenant = 'x' WHERE tenant = 'acme' AND version = '1';
	UPDATE pgstep.migrations SET tenant = 'acme' WHERE tenant = 'globex' AND version = '1';
	UPDATE pgstep.migrations SET tenant = 'globex' WHERE tenant = 'x' AND version = '1'" >/dev/null
found "two tenants' rows swapped" "tenant acme: the migrations row of version 1 \(users\) names event [0-9]+ \(apply 1\) as its writer, which did not write it"
like "$OUT" "tenant globex: the migrations row of version 1 \(users\) names event" "both tenants are named"

fresh
q "$DB" "CREATE TABLE public.saved AS SELECT * FROM pgstep.migrations WHERE tenant = 'acme' AND version = '3'" >/dev/null
run down --tenant acme --yes
q "$DB" "DELETE FROM pgstep.migrations WHERE tenant = 'acme' AND version = '3'; INSERT INTO pgstep.migrations SELECT * FROM public.saved" >/dev/null
found "an old copy of a row put back" "tenant acme: the migrations row of version 3 \(idx\) is the one event [0-9]+ wrote, but event [0-9]+ \(rollback 3\) wrote it later"

fresh
q "$DB" "UPDATE pgstep.migrations SET event_seq = NULL, event_hash = NULL WHERE tenant = 'globex' AND version = '1'" >/dev/null
found "a row unbound" "tenant globex: the migrations row of version 1 \(users\) is bound to no event"

fresh
q "$DB" "INSERT INTO pgstep.migrations (tenant, version, version_text, name, state) VALUES ('acme', '9', '009', 'forged', 'applied')" >/dev/null
found "a row inserted by hand" "tenant acme: the migrations row of version 9 \(forged\) is bound to no event"

# The schema version set back to 1 so that the upgrade would adopt an
# edited, unbound row: it is not adopted.
fresh
q "$DB" "UPDATE pgstep.migrations SET down_sql = 'DROP TABLE users;', event_seq = NULL, event_hash = NULL WHERE tenant = 'acme' AND version = '2';
	UPDATE pgstep.meta SET value = '1' WHERE key = 'schema_version'" >/dev/null
cat >"$P/migrations/004_more.sql" <<'SQL'
-- migrate:up
CREATE TABLE more (id int);
SQL
run up --all --yes
is "$(q "$DB" "SELECT value FROM pgstep.meta WHERE key = 'schema_version'")" 2 "a schema set back to version 1 is set to 2 again"
found "an edited row laundered through a version set back to 1" "tenant acme: the migrations row of version 2 \(orders\) is bound to no event"
is "$(q "$DB" "SELECT count(*) FROM pgstep.events WHERE action = 'adopt'")" 0 "nothing was adopted"

# --- re-forged chains -----------------------------------------------------------
fresh
q "$DB" "UPDATE pgstep.migrations SET state = 'rolled_back' WHERE tenant = 'acme' AND version = '2'" >/dev/null
forge acme
clean "an unkeyed chain re-forged after an edit, without key or anchor (not detectable: documented)"

fresh key
clean "with a key: untampered"
like "$(q "$DB" "SELECT DISTINCT left(hash, 5) FROM pgstep.events")" "^hmac:$" "with a key every event is keyed"
q "$DB" "UPDATE pgstep.migrations SET state = 'rolled_back' WHERE tenant = 'acme' AND version = '2'" >/dev/null
forge acme
found "re-forged after an edit, with a key" "tenant acme: the last event [0-9]+ \(.*\) is not keyed with \[audit\] key_file: the chain was re-forged"
case $OUT in *"tenant globex"*) fail "with a key: the other tenant is clean" ;; *) pass "with a key: the other tenant is clean" ;; esac

fresh
head -c 32 /dev/urandom >"$P/audit.key"
chmod 600 "$P/audit.key"
conf_add "[audit]" "key_file = audit.key"
found "a key set after the chains were written" "tenant acme: the last event [0-9]+ \(.*\) is not keyed with \[audit\] key_file: .* or nothing was recorded since the key was set"
cat >"$P/migrations/004_more.sql" <<'SQL'
-- migrate:up
CREATE TABLE more (id int);
SQL
run up --all --yes
clean "a key set later: clean once pgstep wrote to each chain with it"

fresh key
head -c 32 /dev/urandom >"$P/audit.key"
found "verified with another key" "tenant acme: event 1 \(apply 1\) was altered: hash mismatch \(keyed with a different key, or forged\)"

fresh key
q "$DB" "UPDATE pgstep.events SET detail = '{}' WHERE tenant = 'globex' AND seq = 2" >/dev/null
found "a keyed event edited" "tenant globex: event 2 .* was altered: hash mismatch"

fresh
clean "anchor recorded the first time" --anchor "$P/anchor"
like "$(cat "$P/anchor")" "^[0-9]+ [0-9a-f]{64} acme$" "the anchor holds acme's head"
like "$(cat "$P/anchor")" "^[0-9]+ [0-9a-f]{64} globex$" "and globex's"
before=$(grep ' acme$' "$P/anchor")
cat >"$P/migrations/004_more.sql" <<'SQL'
-- migrate:up
CREATE TABLE more (id int);
SQL
run up --all --yes
clean "the chain grew: anchor checked and moved" --anchor "$P/anchor"
after=$(grep ' acme$' "$P/anchor")
[ "${after%% *}" -gt "${before%% *}" ] && pass "the anchored head moved forward" || fail "the anchored head moved forward ($before -> $after)"
q "$DB" "UPDATE pgstep.migrations SET state = 'rolled_back' WHERE tenant = 'acme' AND version = '2'" >/dev/null
forge acme
found "re-forged after an edit, with an anchor" "tenant acme: event [0-9]+ is not the anchored head .*: the history up to it was rewritten" --anchor "$P/anchor"
is "$(grep ' acme$' "$P/anchor")" "$after" "a failed verify leaves the anchor as it was"

fresh
clean "anchor recorded" --anchor "$P/anchor"
# The last event deleted and the head moved back to the one before it.
run down --tenant acme --yes
clean "anchor moved" --anchor "$P/anchor"
q "$DB" "DELETE FROM pgstep.events WHERE tenant = 'acme' AND seq = (SELECT max(seq) FROM pgstep.events WHERE tenant = 'acme');
	UPDATE pgstep.heads h SET seq = e.seq, hash = e.hash FROM (SELECT seq, hash FROM pgstep.events
	WHERE tenant = 'acme' ORDER BY seq DESC LIMIT 1) e WHERE h.tenant = 'acme'" >/dev/null
found "truncated, the head moved back, with an anchor" "tenant acme: the anchored head, event [0-9]+, is missing: the history was truncated" --anchor "$P/anchor"

# --- the key file ---------------------------------------------------------------
fresh key
chmod 644 "$P/audit.key"
run verify --all
is "$RC" 2 "a world-readable key is refused: exit 2"
like "$ERR" "\[audit\] key_file .*audit.key: mode 644 lets others read or change the key: chmod 600 it" "and says so"
head -c 16 /dev/urandom >"$P/audit.key"
chmod 600 "$P/audit.key"
run verify --all
is "$RC" 2 "a 16-byte key is refused: exit 2"
like "$ERR" "key_file .*: 16 bytes; a key needs at least 32 random bytes" "and says so"

# --- a version 1 schema is upgraded in place --------------------------------------
N=$((N + 1))
DB=tp$N
rm -rf "$P"
pg_createdb "$DB"
project_new "$TOP_SRCDIR/tests/lib"
rm -rf "$P/migrations"
mkdir "$P/migrations"
conf_tenant acme "$DB" acme
printf -- '-- migrate:up\nCREATE TABLE v1_a (id int);\n' >"$P/migrations/001_v1a.sql"
printf -- '-- migrate:up\nCREATE TABLE v1_b (id int);\n' >"$P/migrations/002_v1b.sql"
# What pgstep 1 left: its schema, one applied row and its events chained
# the version 1 way.
q "$DB" "CREATE SCHEMA acme; CREATE TABLE acme.v1_a (id int);
CREATE SCHEMA pgstep;
CREATE TABLE pgstep.meta (key text PRIMARY KEY, value text);
CREATE TABLE pgstep.migrations (tenant text NOT NULL, version text NOT NULL, version_text text,
 name text, phase text, checksum text, state text NOT NULL
 CHECK (state IN ('applied', 'rolled_back', 'failed', 'dirty')),
 statements_total int NOT NULL DEFAULT 0, statements_done int NOT NULL DEFAULT 0,
 up_sql text, down_sql text, db_user text DEFAULT current_user, os_user text, client_addr text,
 started_at timestamptz, finished_at timestamptz, duration_ms bigint, sqlstate text,
 error_message text, error_statement int, PRIMARY KEY (tenant, version));
CREATE TABLE pgstep.events (tenant text NOT NULL, seq bigint NOT NULL, version text,
 action text NOT NULL, detail text, db_user text, os_user text, client_addr text,
 at timestamptz NOT NULL, prev_hash text NOT NULL, hash text NOT NULL, PRIMARY KEY (tenant, seq));
INSERT INTO pgstep.meta VALUES ('schema_version', '1');" >/dev/null
# The checksum and text pgstep records for 001, from a scratch database.
pg_createdb "${DB}_ref"
conf_tenant ref "${DB}_ref"
run up --tenant ref --to 1 --yes
sum=$(q "${DB}_ref" "SELECT checksum FROM pgstep.migrations WHERE version = '1'")
q "$DB" "INSERT INTO pgstep.migrations (tenant, version, version_text, name, checksum, state,
 statements_total, statements_done, up_sql, os_user, started_at, finished_at, duration_ms)
 VALUES ('acme', '1', '001', 'v1a', '$sum', 'applied', 1, 1, 'CREATE TABLE v1_a (id int);',
 'old', now(), now(), 3)" >/dev/null
q "$DB" "$FORGE_FUNCS
DO \$\$
DECLARE e pgstep.events; prev text := repeat('0', 64);
BEGIN
	FOR i IN 1..2 LOOP
		e := ROW('acme', i, '1', CASE i WHEN 1 THEN 'start' ELSE 'apply' END, '{}', 'postgres',
			'old', NULL, now(), prev, '');
		e.hash := pg_temp.event_hash(e, prev, NULL);
		INSERT INTO pgstep.events VALUES (e.*);
		prev := e.hash;
	END LOOP;
END \$\$;" >/dev/null
run verify --tenant acme
is "$RC" 3 "verify of a version 1 schema says it cannot check the rows"
like "$OUT" "tenant acme: the pgstep schema here is version 1" "and names it"
case $OUT in *"was altered"* | *"missing"*) fail "the version 1 chain itself verifies" ;; *) pass "the version 1 chain itself verifies" ;; esac
run up --all --yes
is "$RC" 0 "up upgrades the schema in place and applies"
is "$(q "$DB" "SELECT value FROM pgstep.meta WHERE key = 'schema_version'")" 2 "schema_version 2"
is "$(q "$DB" "SELECT string_agg(action || ' ' || coalesce(version, ''), ',' ORDER BY seq) FROM pgstep.events WHERE tenant = 'acme'")" \
	"start 1,apply 1,adopt 1,apply 2" "the old row was adopted into the chain, then the new one applied"
clean "an upgraded schema"
q "$DB" "UPDATE pgstep.migrations SET up_sql = 'DROP TABLE x;' WHERE version = '1'" >/dev/null
found "an upgraded row edited" "tenant acme: the migrations row of version 1 \(v1a\) was altered after event 3 \(adopt 1\)"

done_testing
