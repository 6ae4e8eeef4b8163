/* test_state: session, state and tenant_source against a real server. The
 * server comes from tests/integration/db_state.sh, which passes the database
 * in PGSTEP_TEST_CONNINFO; without it the test is skipped. */
#include "config.h"

#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgstep/cluster.h"
#include "pgstep/session.h"
#include "pgstep/state.h"
#include "pgstep/tenant_source.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"
#include "tap.h"

static const char *conninfo;

/* ok() that shows the error when the check fails; cond is evaluated first,
 * so err holds what it set. */
#define ok_err(cond, err, desc)                                                                    \
	do {                                                                                       \
		bool c_ = (cond);                                                                  \
		if (!ok(c_, "%s", desc))                                                           \
			printf("#   error: %s\n", (err)->msg ? (err)->msg : "(none)");             \
	} while (0)

static bool contains(const char *hay, const char *needle)
{
	return hay && needle && strstr(hay, needle) != NULL;
}

static bool matches(const char *s, const char *re)
{
	regex_t r;
	if (!s || regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	bool m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

static struct session *connect_or_bail(const char *label)
{
	struct pgstep_error err = {0};
	struct session *s = session_connect(conninfo, label, &err);
	if (!s) {
		printf("Bail out! cannot connect: %s\n", err.msg);
		exit(1);
	}
	return s;
}

/* One value of a query, as an owned string ("" on error, reported). */
static char *scalar(struct session *s, const char *sql)
{
	struct pgstep_error err = {0};
	PGresult *res = session_query(s, sql, 0, NULL, &err);
	if (!res) {
		printf("# %s: %s\n", sql, err.msg);
		error_clear(&err);
		return xstrdup("");
	}
	char *v = xstrdup(PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return v;
}

static void exec_or_note(struct session *s, const char *sql)
{
	struct pgstep_error err = {0};
	if (!session_exec(s, sql, &err))
		printf("# %s: %s\n", sql, err.msg);
	error_clear(&err);
}

static void test_connect(void)
{
	struct session *s = connect_or_bail("acme");
	char *app = scalar(s, "SELECT current_setting('application_name')");
	is_str(app, "pgstep", "application_name is pgstep");
	free(app);
	ok(session_backend_pid(s) > 0, "backend pid known");
	ok(session_socket(s) >= 0, "socket known");
	is_str(session_label(s), "acme", "label kept");
	struct pgstep_error err = {0};
	const char *user = session_current_user(s, &err);
	is_str(user, "postgres", "current_user read");
	ok(session_current_user(s, &err) == user, "current_user cached");
	session_close(&s);
	ok(s == NULL, "session_close NULLs the pointer");

	/* A closed port: nothing listens on port 1. */
	s = session_connect("host=127.0.0.1 port=1 dbname=x password=hunter2 connect_timeout=3",
	                    "far", &err);
	ok(s == NULL, "closed port: no session");
	is_int(err.code, PGSTEP_EXIT_CONNECTION, "closed port: connection exit code");
	ok(text_starts_with(err.msg, "tenant far: "), "closed port: message names the tenant: %s",
	   err.msg);
	ok(!contains(err.msg, "hunter2"), "closed port: password not shown");
	ok(!strchr(err.msg, '\n'), "closed port: one line");
	error_clear(&err);

	/* A bare database name still gets host and port from PG* variables. */
	s = session_connect("state_test", "plain", &err);
	ok_err(s != NULL, &err, "a plain dbname with PG* variables");
	session_close(&s);
	error_clear(&err);

	/* TCP asks for a password (tests/lib/pg.sh); the wrong one fails with
	 * libpq's reason and without the password. */
	if (getenv("PGPORT")) {
		char *tcp = xasprintf("host=127.0.0.1 port=%s dbname=state_test password=wr0ngpw",
		                      getenv("PGPORT"));
		s = session_connect(tcp, "acme", &err);
		ok_err(s == NULL && err.code == PGSTEP_EXIT_CONNECTION &&
		           contains(err.msg, "password authentication failed") &&
		           !contains(err.msg, "wr0ngpw"),
		       &err, "wrong password");
		error_clear(&err);
		free(tcp);
	}

	/* libpq quotes fragments of a malformed string back. */
	s = session_connect("host=x password=hunter2 bogus", "bad", &err);
	ok(s == NULL && !contains(err.msg, "hunter2") && !contains(err.msg, "bogus"),
	   "malformed conninfo with a password: nothing of it shown: %s", err.msg);
	error_clear(&err);
	s = session_connect("host=x bogus", "bad", &err);
	ok(s == NULL && contains(err.msg, "tenant bad: invalid connection string"),
	   "malformed conninfo: reason given: %s", err.msg);
	error_clear(&err);
}

static int notices;
static char notice_text[256];

static void on_notice(void *ctx, const PGresult *res)
{
	notices++;
	snprintf(notice_text, sizeof notice_text, "%s",
	         PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
}

static void test_errors(void)
{
	struct session *s = connect_or_bail("acme");
	struct pgstep_error err = {0};

	ok(!session_exec(s, "SELECT * FROM no_such_table", &err), "missing table fails");
	is_str(err.sqlstate, "42P01", "SQLSTATE kept");
	is_int(err.code, PGSTEP_EXIT_FAILED, "failure exit code");
	ok(text_starts_with(err.msg, "42P01: relation \"no_such_table\" does not exist"),
	   "message starts with SQLSTATE: %s", err.msg);
	error_clear(&err);

	ok(!session_exec(s, "SELECT no_such_function(1)", &err), "missing function fails");
	ok(contains(err.msg, "(HINT: No function matches"), "HINT included: %s", err.msg);
	error_clear(&err);

	const char *params[] = {"21", NULL};
	PGresult *res = session_query(s, "SELECT $1::int * 2, $2::text IS NULL", 2, params, &err);
	ok(res && strcmp(PQgetvalue(res, 0, 0), "42") == 0 &&
	       strcmp(PQgetvalue(res, 0, 1), "t") == 0,
	   "parameters, NULL allowed");
	PQclear(res);
	ok(session_command(s, "SELECT 1", 0, NULL, &err), "session_command");

	/* Without a handler notices vanish (never stderr); with one they
	 * arrive there. */
	exec_or_note(s, "DO $$BEGIN RAISE NOTICE 'dropped'; END$$");
	session_set_notice_handler(s, on_notice, NULL);
	exec_or_note(s, "DO $$BEGIN RAISE NOTICE 'hello %', 42; END$$");
	is_int(notices, 1, "notice delivered to the handler");
	is_str(notice_text, "hello 42", "notice text");

	ok(session_use_schema(s, "Tenant \"X\"", true, &err), "use_schema creates a quoted schema");
	char *cur = scalar(s, "SELECT current_schema()");
	is_str(cur, "Tenant \"X\"", "search_path set to it");
	free(cur);
	char *q = session_quote_ident(s, "a\"b");
	is_str(q, "\"a\"\"b\"", "quote_ident");
	free(q);
	exec_or_note(s, "RESET search_path; DROP SCHEMA \"Tenant \"\"X\"\"\"");
	session_close(&s);
}

/* Wait for the async query, as the poll loop would. */
static bool wait_async(struct session *s, struct pgstep_error *err)
{
	for (int i = 0; i < 1000; i++) {
		struct pollfd p = {.fd = session_socket(s), .events = POLLIN};
		poll(&p, 1, 50);
		if (session_consume(s, err))
			return true;
	}
	return false;
}

static void test_async(void)
{
	struct session *s = connect_or_bail("acme");
	struct pgstep_error err = {0};

	ok(session_send(s, "SELECT pg_sleep(0.05); SELECT 1/0; SELECT 2", &err), "send");
	ok(wait_async(s, &err), "results consumed");
	is_str(err.sqlstate, "22012", "first error kept");
	error_clear(&err);

	ok(session_send(s, "SELECT pg_sleep(30)", &err), "send a long query");
	/* A cancel that arrives before the query starts is lost: wait until
	 * the server shows it running. */
	struct session *watch = connect_or_bail("watch");
	char *sql = xasprintf("SELECT count(*) FROM pg_stat_activity WHERE pid = %d"
	                      " AND state = 'active' AND query LIKE 'SELECT pg_sleep%%'",
	                      session_backend_pid(s));
	bool running = false;
	for (int i = 0; i < 200 && !running; i++) {
		char *n = scalar(watch, sql);
		running = strcmp(n, "1") == 0;
		free(n);
		if (!running)
			usleep(25 * 1000);
	}
	free(sql);
	session_close(&watch);
	ok(running, "the long query is running");
	ok(session_cancel(s), "cancel sent");
	ok(session_cancel_handle(s) != NULL, "cancel handle prepared at connect");
	ok(wait_async(s, &err), "cancelled query finishes");
	is_str(err.sqlstate, "57014", "cancel reported as 57014");
	error_clear(&err);
	ok(session_exec(s, "SELECT 1", &err), "session usable after cancel");
	session_close(&s);
}

static void test_ensure(void)
{
	struct session *s = connect_or_bail("acme");
	struct pgstep_error err = {0};
	exec_or_note(s, "DROP SCHEMA IF EXISTS pgstep CASCADE");

	bool exists = true;
	ok(state_exists(s, &exists, &err) && !exists, "no schema yet");
	struct state_rows rows = {0};
	ok(state_load(s, NULL, 0, false, &rows, &err) && rows.n == 0,
	   "load without schema: no rows");
	struct event_rows ev = {0};
	ok(state_load_events(s, "acme", NULL, &ev, &err) && ev.n == 0,
	   "events without schema: none");

	ok_err(state_ensure(s, &err), &err, "ensure creates");
	ok(state_ensure(s, &err), "ensure again: idempotent");
	ok(state_exists(s, &exists, &err) && exists, "schema exists");
	char *v = scalar(s, "SELECT value FROM pgstep.meta WHERE key = 'schema_version'");
	is_str(v, "2", "schema_version 2");
	free(v);

	/* Two first runs at once: the second waits for the first's lock and
	 * then finds the schema in place. */
	exec_or_note(s, "DROP SCHEMA pgstep CASCADE");
	exec_or_note(s, "BEGIN");
	ok(state_ensure(s, &err), "ensure inside an open transaction");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct pgstep_error e2 = {0};
		struct session *s2 = session_connect(conninfo, "acme", &e2);
		bool good = s2 && state_ensure(s2, &e2);
		if (!good)
			printf("# concurrent ensure: %s\n", e2.msg);
		fflush(stdout);
		_exit(good ? 0 : 1);
	}
	usleep(300 * 1000);
	exec_or_note(s, "COMMIT");
	int status = 0;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "concurrent first runs both succeed");

	/* A newer schema is refused rather than misread. */
	exec_or_note(s, "UPDATE pgstep.meta SET value = '9' WHERE key = 'schema_version'");
	ok_err(!state_ensure(s, &err) && contains(err.msg, "version 9"), &err,
	       "newer schema refused");
	error_clear(&err);
	exec_or_note(s, "UPDATE pgstep.meta SET value = '2' WHERE key = 'schema_version'");
	session_close(&s);
}

static void test_rows(void)
{
	struct session *s = connect_or_bail("acme");
	struct pgstep_error err = {0};
	const char *weird = "we\"ird\\name,{x}";
	struct actor a;
	actor_init(&a);

	struct state_row r = {
	    .tenant = "acme",
	    .version = "4",
	    .version_text = "004",
	    .name = "add_users",
	    .phase = "foundation",
	    .checksum = "abc123",
	    .state = ROW_APPLIED,
	    .statements_total = 3,
	    .statements_done = 3,
	    .up_sql = "CREATE TABLE users (id int);",
	    .down_sql = "DROP TABLE users;",
	    .os_user = "alice",
	    .client_addr = "10.0.0.5",
	    .started_at = "2026-11-21T10:00:01.123456Z",
	    .finished_at = "2026-11-21T10:00:02.000001Z",
	    .duration_ms = 877,
	};
	ok_err(state_upsert(s, &a, &r, "apply", NULL, &err), &err, "upsert");
	struct state_row r2 = r;
	r2.tenant = (char *)weird;
	r2.version = "10";
	r2.state = ROW_FAILED;
	r2.sqlstate = "23503";
	r2.error_message = "insert or update violates foreign key";
	r2.error_statement = 2;
	r2.started_at = NULL;
	r2.finished_at = NULL;
	ok(state_upsert(s, &a, &r2, "fail", NULL, &err), "upsert a second tenant");
	struct state_row r3 = r;
	r3.tenant = "other";
	ok(state_upsert(s, &a, &r3, "apply", NULL, &err), "upsert a third tenant");

	struct state_rows rows = {0};
	const char *which[] = {"acme", weird};
	ok(state_load(s, which, 2, true, &rows, &err), "load two tenants");
	is_int(rows.n, 2, "only the asked tenants");
	struct state_row *got = state_rows_find(&rows, "acme", "4");
	ok(got != NULL, "find acme 4");
	if (got) {
		is_str(got->version_text, "004", "version_text");
		is_str(got->name, "add_users", "name");
		is_str(got->phase, "foundation", "phase");
		is_str(got->checksum, "abc123", "checksum");
		is_str(row_state_name(got->state), "applied", "state");
		is_int(got->statements_total, 3, "statements_total");
		is_str(got->up_sql, r.up_sql, "up_sql");
		is_str(got->down_sql, r.down_sql, "down_sql");
		is_str(got->db_user, "postgres", "db_user defaults to current_user");
		is_str(got->os_user, "alice", "os_user");
		is_str(got->client_addr, "10.0.0.5", "client_addr");
		is_str(got->started_at, r.started_at, "started_at round-trips");
		is_str(got->finished_at, r.finished_at, "finished_at round-trips");
		is_int(got->duration_ms, 877, "duration_ms");
		ok(got->sqlstate == NULL && got->error_statement == 0, "no failure details");
	}
	got = state_rows_find(&rows, weird, "10");
	ok(got != NULL, "a tenant name with quotes, backslash, comma and braces");
	if (got) {
		is_str(row_state_name(got->state), "failed", "failed state");
		is_str(got->sqlstate, "23503", "sqlstate");
		is_int(got->error_statement, 2, "error_statement");
		ok(got->started_at == NULL, "NULL timestamp stays NULL");
	}
	ok(state_rows_find(&rows, "acme", "5") == NULL, "absent version not found");
	state_rows_clear(&rows);

	ok(state_load(s, NULL, 0, false, &rows, &err) && rows.n == 3, "load all, lean");
	got = state_rows_find(&rows, "other", "4");
	ok(got && got->up_sql == NULL && got->name && strcmp(got->name, "add_users") == 0,
	   "lean load leaves texts out");

	/* Writing back a row loaded without texts keeps the stored texts. */
	if (got) {
		got->state = ROW_ROLLED_BACK;
		ok(state_upsert(s, &a, got, "rollback", NULL, &err), "upsert a lean row");
	}
	state_rows_clear(&rows);
	ok(state_load(s, (const char *[]){"other"}, 1, true, &rows, &err) && rows.n == 1 &&
	       rows.items[0].state == ROW_ROLLED_BACK && rows.items[0].up_sql &&
	       strcmp(rows.items[0].up_sql, r.up_sql) == 0,
	   "state replaced, stored up_sql kept");
	state_rows_clear(&rows);

	ok(state_set_progress(s, &a, "acme", "4", 2, "progress", NULL, &err), "set progress");
	char *done = scalar(s, "SELECT statements_done FROM pgstep.migrations"
	                       " WHERE tenant = 'acme' AND version = '4'");
	is_str(done, "2", "progress stored");
	free(done);
	ok_err(!state_set_progress(s, &a, "acme", "99", 1, "progress", NULL, &err) &&
	           contains(err.msg, "no state row"),
	       &err, "progress of an unknown row fails");
	error_clear(&err);

	/* The CHECK constraint keeps states to the four known. */
	ok(!session_exec(s, "UPDATE pgstep.migrations SET state = 'bogus'", &err) &&
	       strcmp(err.sqlstate, "23514") == 0,
	   "state CHECK constraint");
	error_clear(&err);
	actor_release(&a);
	session_close(&s);
}

static size_t verify(struct session *s, const char *tenant, struct diag_list *d)
{
	struct pgstep_error err = {0};
	diag_list_clear(d);
	if (!state_verify_events(s, tenant, NULL, NULL, d, &err)) {
		printf("# verify: %s\n", err.msg);
		error_clear(&err);
	}
	for (size_t i = 0; i < d->n; i++)
		printf("#   verify: %s\n", d->items[i].msg);
	return d->n;
}

static void test_events(void)
{
	struct session *s = connect_or_bail("acme");
	struct pgstep_error err = {0};
	struct actor a;
	actor_init(&a);
	ok(a.os_user && *a.os_user, "actor has an OS user");
	free(a.client_addr);
	a.client_addr = xstrdup("10.1.2.3");
	/* A log of plain events only: test_rows left rows bound to events. */
	exec_or_note(s, "DELETE FROM pgstep.migrations; DELETE FROM pgstep.events;"
	                " DELETE FROM pgstep.heads");

	ok(state_event(s, &a, "acme", "004", "apply", "{\"statements\":3}", &err), "event 1");
	ok(state_event(s, &a, "acme", "004", "statement", "{\"index\":1}", &err), "event 2");
	ok(state_event(s, &a, "other", "004", "apply", NULL, &err), "another tenant's chain");
	ok(state_event(s, &a, "acme", NULL, "confirm", NULL, &err), "event 3, no version");
	ok(state_event(s, &a, "acme", "005", "apply", "{}", &err), "event 4");
	ok(!state_event(s, &a, "acme", "005", "bad\x1f", NULL, &err),
	   "a separator byte is refused");
	error_clear(&err);

	struct event_rows ev = {0};
	ok(state_load_events(s, "acme", NULL, &ev, &err), "load events");
	is_int(ev.n, 4, "four events for acme");
	if (ev.n == 4) {
		is_int(ev.items[0].seq, 1, "seq starts at 1");
		is_int(ev.items[3].seq, 4, "seq 4");
		is_str(ev.items[0].prev_hash,
		       "0000000000000000000000000000000000000000000000000000000000000000",
		       "first prev_hash is zeros");
		is_str(ev.items[1].prev_hash, ev.items[0].hash, "chained");
		is_str(ev.items[0].db_user, "postgres", "db_user recorded");
		is_str(ev.items[0].client_addr, "10.1.2.3", "client address recorded");
		ok(ev.items[2].version == NULL, "NULL version kept");
		ok(matches(ev.items[0].at,
		           "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$"),
		   "at is ISO 8601 UTC with microseconds: %s", ev.items[0].at);
	}
	event_rows_clear(&ev);
	ok(state_load_events(s, "acme", "004", &ev, &err) && ev.n == 2, "events of one version");
	event_rows_clear(&ev);

	struct diag_list d;
	diag_list_init(&d);
	is_int(verify(s, NULL, &d), 0, "all chains verify");

	exec_or_note(s, "UPDATE pgstep.events SET detail = '{\"index\":2}'"
	                " WHERE tenant = 'acme' AND seq = 2");
	is_int(verify(s, "acme", &d), 1, "an altered event is found");
	ok(d.n && contains(d.items[0].msg,
	                   "tenant acme: event 2 (statement 004) was altered: hash mismatch"),
	   "and named");
	is_int(verify(s, "other", &d), 0, "other tenant unaffected");

	/* Re-hashing the altered row breaks the next link instead. */
	exec_or_note(s, "UPDATE pgstep.events SET hash = repeat('a', 64)"
	                " WHERE tenant = 'acme' AND seq = 2");
	verify(s, "acme", &d);
	ok(d.n == 2 && contains(d.items[1].msg, "event 3 (confirm) does not link to event 2"),
	   "a replaced hash breaks the next link");

	exec_or_note(s, "DELETE FROM pgstep.events WHERE tenant = 'acme' AND seq = 2");
	is_int(verify(s, "acme", &d), 1, "a deleted event is found");
	ok(d.n && contains(d.items[0].msg, "event 2 is missing") && contains(d.items[0].msg, "gap"),
	   "as a gap");

	exec_or_note(s, "DELETE FROM pgstep.events WHERE tenant = 'acme' AND seq = 1");
	verify(s, "acme", &d);
	ok(d.n && contains(d.items[0].msg, "events 1-2 are missing"), "a gap at the start");

	diag_list_clear(&d);
	actor_release(&a);
	session_close(&s);
}

/* write_file PATH MODE BYTES N */
static void write_file(const char *path, mode_t mode, const char *bytes, size_t n)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fwrite(bytes, 1, n, f);
		fclose(f);
	}
	chmod(path, mode);
}

static void test_binding(void)
{
	struct session *s = connect_or_bail("bind");
	struct pgstep_error err = {0};
	struct actor a;
	actor_init(&a);
	struct diag_list d;
	diag_list_init(&d);

	/* The canonical row text keeps every boundary and every NULL. */
	struct state_row x = {.tenant = "t", .version = "1", .name = "ab", .phase = "c"};
	struct state_row y = x;
	y.name = "a";
	y.phase = "bc";
	char *cx = state_row_canon(&x), *cy = state_row_canon(&y);
	ok(strcmp(cx, cy) != 0, "canonical text: field boundaries count");
	free(cy);
	y = x;
	y.phase = NULL;
	struct state_row z = x;
	z.phase = "";
	cy = state_row_canon(&y);
	char *cz = state_row_canon(&z);
	ok(strcmp(cy, cz) != 0, "canonical text: NULL is not empty");
	free(cx);
	free(cy);
	free(cz);

	/* In autocommit, the row, its event and the head commit together. */
	struct state_row r = {
	    .tenant = "bind",
	    .version = "1",
	    .name = "one",
	    .checksum = "c1",
	    .state = ROW_APPLIED,
	    .statements_total = 1,
	    .statements_done = 1,
	    .up_sql = "CREATE TABLE one (id int);",
	};
	ok_err(state_upsert(s, &a, &r, "apply", "{}", &err), &err, "upsert in autocommit");
	char *same =
	    scalar(s, "SELECT m.xmin = e.xmin AND e.xmin = h.xmin"
	              " FROM pgstep.migrations m"
	              " JOIN pgstep.events e ON e.tenant = m.tenant AND e.seq = m.event_seq"
	              " JOIN pgstep.heads h ON h.tenant = m.tenant AND h.seq = e.seq"
	              " WHERE m.tenant = 'bind' AND m.version = '1'");
	is_str(same, "t", "row, event and head written by one transaction");
	free(same);
	ok_err(state_set_progress(s, &a, "bind", "1", 0, "progress", NULL, &err), &err,
	       "progress in autocommit");
	is_int(verify(s, "bind", &d), 0, "an untouched bound row verifies");
	exec_or_note(s, "UPDATE pgstep.migrations SET checksum = 'c2' WHERE tenant = 'bind'");
	verify(s, "bind", &d);
	ok(d.n == 1 && contains(d.items[0].msg, "tenant bind: the migrations row of version 1 "
	                                        "(one) was altered after event 2 (progress 1)"),
	   "an edited checksum is found");
	exec_or_note(s, "UPDATE pgstep.migrations SET checksum = 'c1' WHERE tenant = 'bind'");

	/* The key file. */
	char dir[] = "/tmp/pgstep-key-XXXXXX";
	ok(mkdtemp(dir) != NULL, "a directory for key files");
	char *path = xasprintf("%s/key", dir);
	ok(!state_audit_key_load(path, &err) && err.code == PGSTEP_EXIT_USAGE &&
	       contains(err.msg, "[audit] key_file") && contains(err.msg, "No such file"),
	   "a missing key file: %s", err.msg);
	error_clear(&err);
	char key[48];
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (char)(i * 37 + 11);
	write_file(path, 0600, key, 31);
	ok(!state_audit_key_load(path, &err) && contains(err.msg, "31 bytes") &&
	       contains(err.msg, "at least 32"),
	   "a 31-byte key is refused: %s", err.msg);
	error_clear(&err);
	write_file(path, 0604, key, sizeof key);
	ok(!state_audit_key_load(path, &err) && contains(err.msg, "mode 604") &&
	       contains(err.msg, "chmod 600"),
	   "a world-readable key is refused: %s", err.msg);
	error_clear(&err);
	ok(!state_audit_keyed(), "no key after refusals");
	write_file(path, 0600, key, sizeof key);
	ok_err(state_audit_key_load(path, &err), &err, "a 48-byte key of mode 600 is loaded");
	ok(state_audit_keyed(), "keyed");

	r.tenant = "keyed";
	ok_err(state_upsert(s, &a, &r, "apply", NULL, &err), &err, "upsert with a key");
	ok(state_event(s, &a, "keyed", NULL, "confirm", NULL, &err), "an event with a key");
	char *prefix = scalar(s, "SELECT string_agg(DISTINCT left(hash, 5), ',') FROM pgstep.events"
	                         " WHERE tenant = 'keyed'");
	is_str(prefix, "hmac:", "keyed events are marked hmac:");
	free(prefix);
	is_int(verify(s, "keyed", &d), 0, "a keyed chain verifies with its key");
	key[0] ^= 1;
	write_file(path, 0600, key, sizeof key);
	ok(state_audit_key_load(path, &err), "another key");
	verify(s, "keyed", &d);
	ok(d.n == 2 && contains(d.items[0].msg, "tenant keyed: event 1 (apply 1) was altered: "
	                                        "hash mismatch (keyed with a different key"),
	   "another key finds every event wrong");
	state_audit_key_clear();
	is_int(verify(s, "keyed", &d), 0, "without the key: links, head and rows still check out");
	exec_or_note(s, "DELETE FROM pgstep.events WHERE tenant = 'keyed' AND seq = 2");
	verify(s, "keyed", &d);
	ok(d.n == 1 && contains(d.items[0].msg, "tenant keyed: event 2 is missing at the end"),
	   "without the key: a deleted last event is still found");
	unlink(path);
	rmdir(dir);
	free(path);

	diag_list_clear(&d);
	actor_release(&a);
	session_close(&s);
}

static void test_lock(void)
{
	struct session *a = connect_or_bail("acme");
	struct session *b = connect_or_bail("acme");
	struct pgstep_error err = {0};

	ok(state_lock_tenant(a, "acme", &err), "first pgstep takes the lock");
	ok(!state_lock_tenant(b, "acme", &err), "second one does not get it");
	is_int(err.code, PGSTEP_EXIT_LOCKED, "locked exit code");
	char pid[32];
	snprintf(pid, sizeof pid, "pid %d,", session_backend_pid(a));
	ok(contains(err.msg, "tenant acme is locked by another pgstep: ") &&
	       contains(err.msg, pid) && contains(err.msg, "user postgres") &&
	       contains(err.msg, "client local") && contains(err.msg, "since 20"),
	   "message names the holder: %s", err.msg);
	error_clear(&err);

	ok(state_lock_tenant(b, "globex", &err), "another tenant of the same database is free");
	state_unlock_tenant(b, "globex");
	state_unlock_tenant(a, "acme");
	ok(state_lock_tenant(b, "acme", &err), "free again after unlock");
	state_unlock_tenant(b, "acme");

	/* Closing the session releases the lock as well. */
	ok(state_lock_tenant(a, "acme", &err), "lock again");
	session_close(&a);
	/* PQfinish does not wait for the backend to exit: poll, up to 5 s. */
	bool got = false;
	for (int i = 0; i < 100 && !got; i++) {
		got = state_lock_tenant(b, "acme", &err);
		if (!got) {
			error_clear(&err);
			usleep(50 * 1000);
		}
	}
	ok(got, "released when the holder disconnects");
	session_close(&b);
}

#define TS_TIMEOUT 30000 /* ms: the tenants query's statement_timeout */

static void test_tenant_source(void)
{
	struct session *s = connect_or_bail("control");
	exec_or_note(s,
	             "DROP TABLE IF EXISTS tenants;"
	             "CREATE TABLE tenants (slug text, schema_name text, region text, tier text);"
	             "INSERT INTO tenants VALUES ('acme', 'acme', 'eu', 'gold'),"
	             " ('globex', NULL, 'us', NULL)");
	session_close(&s);

	struct tenant_list l;
	tenant_list_init(&l);
	struct pgstep_error err = {0};
	ok_err(tenant_source_query(
	           conninfo, "SELECT slug, schema_name, region, tier FROM tenants ORDER BY slug",
	           TS_TIMEOUT, &l, &err),
	       &err, "tenants from a query");
	is_int(l.n, 2, "two tenants");
	struct tenant *t = tenant_list_find(&l, "acme");
	ok(t && t->schema && strcmp(t->schema, "acme") == 0, "schema");
	ok(t && strcmp(t->conninfo, conninfo) == 0, "conninfo is the control one");
	ok(t && t->origin && strcmp(t->origin, "tenants query, row 1") == 0,
	   "origin: the tenants query and the row");
	is_str(t ? tenant_label(t, "region") : NULL, "eu", "label from a column");
	is_str(t ? tenant_label(t, "tier") : NULL, "gold", "second label");
	t = tenant_list_find(&l, "globex");
	ok(t && t->schema == NULL, "NULL schema: database tenant");
	ok(t && tenant_label(t, "tier") == NULL, "NULL label skipped");

	ok_err(!tenant_source_query(conninfo, "SELECT slug, schema_name FROM tenants", TS_TIMEOUT,
	                            &l, &err) &&
	           contains(err.msg, "acme") && contains(err.msg, "already defined"),
	       &err, "a tenant already defined is named");
	is_int(l.n, 2, "list unchanged after an error");
	error_clear(&err);
	tenant_list_clear(&l);

	ok(!tenant_source_query(conninfo, "SELECT slug, schema_name FROM no_tenants", TS_TIMEOUT,
	                        &l, &err),
	   "failing tenants query");
	is_int(err.code, PGSTEP_EXIT_USAGE, "usage exit code");
	ok(text_starts_with(err.msg, "tenants query failed: 42P01: relation \"no_tenants\""),
	   "its message: %s", err.msg);
	error_clear(&err);

	ok_err(!tenant_source_query(conninfo, "SELECT slug FROM tenants", TS_TIMEOUT, &l, &err) &&
	           contains(err.msg, "at least two"),
	       &err, "one column refused");
	error_clear(&err);
	ok_err(
	    !tenant_source_query(conninfo, "SELECT NULL::text, NULL::text", TS_TIMEOUT, &l, &err) &&
	        contains(err.msg, "row 1") && contains(err.msg, "NULL"),
	    &err, "NULL name refused");
	error_clear(&err);
	ok_err(!tenant_source_query(conninfo, "SELECT 'a', NULL UNION ALL SELECT 'a', NULL",
	                            TS_TIMEOUT, &l, &err) &&
	           contains(err.msg, "tenant a is already defined"),
	       &err, "duplicate name refused");
	error_clear(&err);
	ok_err(!tenant_source_query(conninfo, "DELETE FROM tenants RETURNING slug, schema_name",
	                            TS_TIMEOUT, &l, &err) &&
	           contains(err.msg, "25006"),
	       &err, "the query cannot write");
	error_clear(&err);
	ok_err(!tenant_source_query("host=127.0.0.1 port=1 connect_timeout=3", "SELECT 1, 2",
	                            TS_TIMEOUT, &l, &err) &&
	           err.code == PGSTEP_EXIT_CONNECTION &&
	           text_starts_with(err.msg, "tenants query: control database: "),
	       &err, "control database unreachable");
	error_clear(&err);
	tenant_list_clear(&l);
}

static int progress_lines;

static void on_progress(void *ctx, const char *line)
{
	progress_lines++;
	printf("#   cluster: %s\n", line);
}

/* The throwaway server of `pgstep demo`, started beside the test's own. */
static void test_cluster(void)
{
	struct pgstep_error err = {0};
	struct cluster *c = cluster_start(on_progress, NULL, &err);
	ok_err(c != NULL, &err, "cluster starts");
	if (!c) {
		error_clear(&err);
		return;
	}
	ok(progress_lines >= 2, "progress reported");
	ok(c->running && c->port > 0, "running on a port");
	ok((geteuid() == 0) == (c->run_as != NULL), "runs as postgres exactly when we are root");
	char *ci = cluster_conninfo(c, "postgres");
	struct session *s = session_connect(ci, "demo", &err);
	ok(s != NULL, "connect to it: %s", err.msg ? err.msg : ci);
	if (s) {
		char *fsync = scalar(s, "SELECT current_setting('fsync')");
		is_str(fsync, "off", "throwaway settings applied");
		free(fsync);
		char *tcp = scalar(s, "SELECT current_setting('listen_addresses')");
		is_str(tcp, "", "no TCP listener");
		free(tcp);
		session_close(&s);
	}
	free(ci);
	char *dir = xstrdup(c->dir);
	cluster_stop(&c, false);
	ok(c == NULL, "cluster_stop NULLs the pointer");
	ok(access(dir, F_OK) != 0, "directory removed");
	free(dir);

	c = cluster_start(NULL, NULL, &err);
	ok(c != NULL, "a second cluster starts");
	if (c) {
		dir = xstrdup(c->dir);
		char *pidfile = xasprintf("%s/postmaster.pid", c->datadir);
		cluster_stop(&c, true);
		ok(access(dir, F_OK) == 0 && access(pidfile, F_OK) != 0,
		   "keep: stopped, directory left");
		char *cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
		free(cmd);
		free(pidfile);
		free(dir);
	}
	error_clear(&err);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	conninfo = getenv("PGSTEP_TEST_CONNINFO");
	if (!conninfo || !*conninfo) {
		printf("1..0 # SKIP PGSTEP_TEST_CONNINFO not set (run db_state.sh)\n");
		return 0;
	}
	test_connect();
	test_errors();
	test_async();
	test_ensure();
	test_rows();
	test_events();
	test_binding();
	test_lock();
	test_tenant_source();
	test_cluster();
	return done_testing();
}
