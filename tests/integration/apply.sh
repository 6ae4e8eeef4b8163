#!/bin/sh
# The sample set up and down on two schema tenants and one database tenant,
# status and history as JSON, verify against edited files and a tampered log.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"
. "$TOP_SRCDIR/tests/lib/project.sh"
pg_start
pg_createdb app
pg_createdb solo
project_new
conf_tenant acme app acme "region=eu tier=gold"
conf_tenant globex app globex "region=us tier=silver"
conf_tenant solo solo "" "region=us tier=bronze"
total=$(find "$P/migrations" -path '*/archive' -prune -o -name '*.sql' -print | wc -l)

check_exit 0 "status before anything is applied" ps status --json
like "$TAP_OUT" '"name":"acme".*"state":"pending","applied":0,"pending":'"$total" "acme: everything pending"
like "$TAP_OUT" '"state":"archived"' "archived migrations are listed"

check_exit 0 "up --to 7 applies the first phase on acme" ps up --tenant acme --to 7 --yes
is "$(q app "SELECT count(*) FROM pgstep.migrations WHERE tenant='acme' AND state='applied'")" 7 \
	"acme: 7 rows recorded as applied ('7' matched version 007)"
is "$(q app "SELECT count(*) FROM pg_tables WHERE schemaname='acme'")" \
	"$(q app "SELECT count(*) FROM pg_tables WHERE schemaname='acme'")" "tables live in acme's schema"
like "$(q app "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname='acme'")" \
	'tenants' "acme's schema holds the tenancy tables"
is "$(q app "SELECT count(*) FROM pg_tables WHERE schemaname='globex'")" 0 "globex untouched"

check_exit 0 "up --all applies everything everywhere" ps up --all --yes
like "$TAP_OUT" 'acme: .*applied in' "progress names tenant and migration"
check_exit 0 "status --check after up" ps status --check --json
for t in acme globex solo; do
	like "$TAP_OUT" "\"name\":\"$t\"[^]]*\"state\":\"ok\",\"applied\":$total,\"pending\":0" "$t is up to date"
done
is "$(q app "SELECT count(DISTINCT tenant) FROM pgstep.migrations WHERE state='applied'")" 2 \
	"two schema tenants share the app database's pgstep schema"
is "$(q solo "SELECT count(*) FROM pgstep.migrations WHERE state='applied'")" "$total" \
	"the database tenant has its own pgstep schema"
is "$(q app "SELECT count(*) FROM pgstep.migrations WHERE up_sql IS NULL OR checksum !~ '^[0-9a-f]{64}\$' OR os_user IS NULL OR db_user IS NULL OR finished_at IS NULL")" 0 \
	"each row records its SQL, checksum, users and times"
is "$(q app "SELECT application_name FROM pg_stat_activity WHERE application_name='pgstep'" | wc -l)" 0 \
	"no pgstep session left behind"

check_exit 0 "history --json" ps history --tenant globex --json
like "$TAP_OUT" '"action":"apply","version":"1"' "history shows the apply of version 001"

check_exit 0 "verify on an untouched project" ps verify
like "$TAP_OUT" 'acme: ok' "verify says ok"

check_exit 0 "down --steps 2 on globex" ps down --tenant globex --steps 2 --yes
is "$(q app "SELECT count(*) FROM pgstep.migrations WHERE tenant='globex' AND state='rolled_back'")" 2 \
	"two migrations rolled back and recorded"
check_exit 0 "status after down" ps status --tenant globex --json
like "$TAP_OUT" '"pending":2' "globex has 2 pending again"

check_exit 0 "down --to 0 rolls back everything on acme" ps down --tenant acme --to 0 --yes
is "$(q app "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname='acme'")" 0 \
	"acme's schema is empty again"
is "$(q app "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname='acme'")" 0 \
	"no types left in acme"
check_exit 0 "down --to 0 on the database tenant" ps down --tenant solo --to 0 --yes
is "$(q solo "SELECT count(*) FROM pg_tables WHERE schemaname='public'")" 0 "solo's public schema is empty"
check_exit 0 "apply everything again after a full rollback" ps up --tenant acme --tenant solo --yes

# An applied file edited afterwards is drift: verify names it and exits 3.
f=$(ls "$P"/migrations/phase-0-foundation/002_*.sql)
# The checksum covers the up section: edit inside it.
sed -i 's/^-- migrate:up.*/&\nCOMMENT ON SCHEMA public IS NULL;/' "$f"
check_exit 3 "verify exits 3 after an applied file changed" ps verify
like "$TAP_OUT" "002_.*changed since it was applied" "verify names the changed migration"
like "$TAP_OUT" "$(basename "$f")" "verify names the file"
check_exit 3 "status --check exits 3 on drift" ps status --check

# Tampering with the event log breaks the hash chain.
git_checkout_ok=$(cp "$TOP_SRCDIR/migrations/phase-0-foundation/$(basename "$f")" "$f" && echo yes)
is "$git_checkout_ok" yes "file restored"
seq=$(q app "SELECT seq FROM pgstep.events WHERE tenant='globex' AND action='apply' ORDER BY seq LIMIT 1 OFFSET 3")
q app "UPDATE pgstep.events SET os_user='mallory' WHERE tenant='globex' AND seq=$seq" >/dev/null
check_exit 3 "verify exits 3 after an event row was altered" ps verify --tenant globex
like "$TAP_OUT" "globex.*event $seq" "verify names the altered event"
check_exit 0 "the other tenants still verify" ps verify --tenant acme --tenant solo

done_testing
