/* tenant_source: tenants listed by a query against a control database. The
 * query's first column names the tenant, the second its schema (NULL for a
 * database tenant), every further column a label named after the column.
 *
 * Every command waits for this query, so it is bounded: statement_timeout
 * on the server, a deadline on the client for a server that does not
 * answer at all, and SIGINT/SIGTERM/SIGHUP cancel it on the server
 * (PQcancel, safe in a handler, as psql does) instead of leaving it to run
 * there after pgstep is gone. client_connection_check_interval ends it too
 * when pgstep dies by kill -9. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgstep/session.h"
#include "pgstep/tenant_source.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

/* Another row whose schema has the same first TENANT_MAX_SCHEMA_BYTES
 * bytes as row's, or -1. */
static int schema_twin(const PGresult *res, int row, const char *schema)
{
	if (strlen(schema) <= TENANT_MAX_SCHEMA_BYTES)
		return -1;
	for (int k = 0; k < PQntuples(res); k++) {
		const char *other = PQgetisnull(res, k, 1) ? "" : PQgetvalue(res, k, 1);
		if (k != row && strncmp(schema, other, TENANT_MAX_SCHEMA_BYTES) == 0)
			return k;
	}
	return -1;
}

/* Turns the query's rows into tenants in list; false with err set on the
 * first bad row. A name or schema that cannot be used is refused here,
 * before any SQL runs for its tenant. */
static bool tenant_source_rows(const PGresult *res, const char *conninfo,
                               const struct tenant_list *existing, struct tenant_list *list,
                               struct pgstep_error *err)
{
	int ncols = PQnfields(res);
	for (int i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 0) || !*PQgetvalue(res, i, 0)) {
			error_set(err, PGSTEP_EXIT_USAGE,
			          "tenants query: row %d: the name (column \"%s\") is %s", i + 1,
			          PQfname(res, 0), PQgetisnull(res, i, 0) ? "NULL" : "empty");
			return false;
		}
		const char *name = PQgetvalue(res, i, 0);
		char *why = tenant_name_problem(name);
		if (why) {
			error_set(err, PGSTEP_EXIT_USAGE, "tenants query: row %d: %s", i + 1, why);
			free(why);
			return false;
		}
		const struct tenant *dup = tenant_list_find(list, name);
		if (!dup)
			dup = tenant_list_find(existing, name);
		if (dup) {
			error_set(err, PGSTEP_EXIT_USAGE,
			          "tenants query: row %d: tenant %s is already defined (%s)", i + 1,
			          name, dup->origin ? dup->origin : "tenants query");
			return false;
		}
		/* An empty schema is no schema: a database tenant. */
		const char *schema = PQgetisnull(res, i, 1) || !*PQgetvalue(res, i, 1)
		                         ? NULL
		                         : PQgetvalue(res, i, 1);
		why = schema ? tenant_schema_problem(schema) : NULL;
		if (why) {
			/* Cut to 63 bytes, which other tenant would it become? */
			int twin = schema_twin(res, i, schema);
			char *also =
			    twin < 0 ? xstrdup("")
			             : xasprintf("; tenant %s (row %d) has the same first %d bytes",
			                         PQgetvalue(res, twin, 0), twin + 1,
			                         TENANT_MAX_SCHEMA_BYTES);
			error_set(err, PGSTEP_EXIT_USAGE, "tenants query: row %d: tenant %s: %s%s",
			          i + 1, name, why, also);
			free(also);
			free(why);
			return false;
		}
		struct tenant *t = tenant_new(name, conninfo, schema);
		free(t->origin);
		t->origin = xasprintf("tenants query, row %d", i + 1);
		for (int c = 2; c < ncols; c++) {
			if (!PQgetisnull(res, i, c))
				tenant_add_label(t, PQfname(res, c), PQgetvalue(res, i, c));
		}
		tenant_list_add(list, t);
	}
	return true;
}

/* ---- cancel on a signal ------------------------------------------------- */

/* One tenants query runs at a time, on the thread that takes the signals
 * (the set loader blocks them). */
static PGcancel *volatile ts_cancel;
static volatile sig_atomic_t ts_signal;
static const int ts_signals[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction ts_old[3];

static void ts_on_signal(int sig)
{
	int saved = errno;
	ts_signal = sig;
	PGcancel *c = ts_cancel;
	if (c) {
		char buf[256];
		PQcancel(c, buf, sizeof buf);
	}
	/* A front end's own handler (if one was set) still hears of it. */
	for (size_t i = 0; i < 3; i++)
		if (ts_signals[i] == sig && !(ts_old[i].sa_flags & SA_SIGINFO) &&
		    ts_old[i].sa_handler != SIG_DFL && ts_old[i].sa_handler != SIG_IGN)
			ts_old[i].sa_handler(sig);
	errno = saved;
}

static void ts_signals_catch(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ts_on_signal;
	sigemptyset(&sa.sa_mask);
	/* one handler at a time: a second signal waits for the first PQcancel */
	for (size_t i = 0; i < 3; i++)
		sigaddset(&sa.sa_mask, ts_signals[i]);
	/* No SA_RESTART: poll() returns at once. Installed even over SIG_IGN,
	 * as cli_signals and the interface do (a shell's background job has
	 * SIGINT ignored). */
	ts_signal = 0;
	ts_cancel = NULL;
	for (size_t i = 0; i < 3; i++)
		sigaction(ts_signals[i], &sa, &ts_old[i]);
}

static void ts_signals_restore(void)
{
	for (size_t i = 0; i < 3; i++)
		sigaction(ts_signals[i], &ts_old[i], NULL);
	ts_cancel = NULL;
}

/* ---- the query ---------------------------------------------------------- */

static int64_t ts_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *ts_signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
}

/* Wait until s's socket is ready for what it asked (write when connecting
 * says so), a signal came or deadline (ms, 0 none) passed. False with err
 * set on the last two. */
static bool ts_wait(struct session *s, bool for_write, int64_t deadline, const char *what,
                    struct pgstep_error *err)
{
	for (;;) {
		if (ts_signal) {
			error_set(err, PGSTEP_EXIT_FAILED, "tenants query: interrupted by %s %s",
			          ts_signal_name(ts_signal), what);
			return false;
		}
		int timeout = -1;
		if (deadline) {
			int64_t left = deadline - ts_now_ms();
			if (left <= 0) {
				error_set(err, PGSTEP_EXIT_CONNECTION,
				          "tenants query: the control database did not answer %s",
				          what);
				return false;
			}
			/* poll() sleeps through a signal that came just before it:
			 * look at the flag now and then */
			timeout = left > 200 ? 200 : (int)left;
		} else {
			timeout = 200;
		}
		struct pollfd pfd = {.fd = session_socket(s),
		                     .events = for_write ? POLLOUT : POLLIN};
		int rc = poll(&pfd, 1, timeout);
		if (rc > 0)
			return true;
		if (rc < 0 && errno != EINTR) {
			error_set(err, PGSTEP_EXIT_CONNECTION, "tenants query: poll: %s",
			          strerror(errno));
			return false;
		}
	}
}

static struct session *ts_connect(const char *conninfo, struct pgstep_error *err)
{
	struct pgstep_error e = {0};
	struct session *s = session_connect_start(conninfo, "control", &e);
	int secs = session_connect_timeout(conninfo);
	int64_t deadline = secs ? ts_now_ms() + (int64_t)secs * 1000 : 0;
	enum session_wait w = SESSION_WAIT_WRITE; /* libpq: as if polling said so */
	while (s && w != SESSION_WAIT_NONE) {
		if (w == SESSION_WAIT_FAILED ||
		    !ts_wait(s, w == SESSION_WAIT_WRITE, deadline, "while connecting", &e))
			break;
		w = session_connect_poll(s, &e);
	}
	if (s && w == SESSION_WAIT_NONE)
		return s;
	session_close(&s);
	/* session_connect says "tenant control: reason"; here the control
	 * database is not a tenant. */
	const char *reason = e.msg ? e.msg : "cannot connect";
	if (text_starts_with(reason, "tenant control: "))
		reason += strlen("tenant control: ");
	if (text_starts_with(reason, "tenants query: "))
		error_set(err, e.code, "%s", reason);
	else
		error_set(err, PGSTEP_EXIT_CONNECTION, "tenants query: control database: %s",
		          reason);
	error_clear(&e);
	return NULL;
}

/* Send sql (with no parameters: one statement only) and wait for its last
 * result, within the deadline. */
static PGresult *ts_run(struct session *s, const char *sql, int64_t deadline,
                        struct pgstep_error *err)
{
	if (ts_signal || !session_send_params(s, sql, 0, NULL, err))
		return NULL;
	PGresult *res = NULL;
	for (;;) {
		if (session_consume_result(s, &res, err))
			return res;
		if (!ts_wait(s, false, deadline, "while it ran", err)) {
			/* The handler cancelled already, unless the signal came
			 * just before the query was sent. Not on the deadline: a
			 * server that answers nothing would not answer that. */
			if (ts_signal)
				session_cancel(s);
			return NULL;
		}
	}
}

/* The session settings, then the query. The query only lists tenants: a
 * mistyped one must not be able to change the control database. */
static PGresult *ts_query(struct session *s, const char *query, int64_t timeout_ms,
                          struct pgstep_error *err)
{
	char *set = xasprintf("SELECT set_config('default_transaction_read_only', 'on', false), "
	                      "set_config('statement_timeout', '%lld', false), "
	                      "set_config('client_encoding', 'UTF8', false)%s",
	                      (long long)timeout_ms,
	                      PQserverVersion(session_conn(s)) >= 140000
	                          ? ", set_config('client_connection_check_interval', "
	                            "'1000', false)"
	                          : "");
	/* The server ends the query at statement_timeout; the client waits a
	 * little more for that answer, then gives up on a server that says
	 * nothing at all. */
	int64_t deadline = ts_now_ms() + timeout_ms + 5000;
	PGresult *res = ts_run(s, set, deadline, err);
	free(set);
	if (!res)
		return NULL;
	PQclear(res);
	return ts_run(s, query, deadline, err);
}

bool tenant_source_query(const char *control_conninfo, const char *query, int64_t timeout_ms,
                         struct tenant_list *out, struct pgstep_error *err)
{
	ts_signals_catch();
	struct pgstep_error e = {0};
	struct session *s = ts_connect(control_conninfo, err);
	if (!s) {
		ts_signals_restore();
		return false;
	}
	ts_cancel = session_cancel_handle(s);
	int64_t started = ts_now_ms();
	PGresult *res = ts_query(s, query, timeout_ms, &e);
	ts_cancel = NULL;
	int sig = ts_signal;
	ts_signals_restore();
	if (!res) {
		if (sig) {
			error_set(
			    err, PGSTEP_EXIT_FAILED,
			    "tenants query: interrupted by %s; the control database was asked "
			    "to cancel it",
			    ts_signal_name(sig));
		} else if (strcmp(e.sqlstate, "57014") == 0 &&
		           ts_now_ms() - started >= timeout_ms) {
			error_set(
			    err, PGSTEP_EXIT_CONNECTION,
			    "tenants query: no answer within the [tenants] timeout (%lld ms); "
			    "the control database cancelled it",
			    (long long)timeout_ms);
		} else if (text_starts_with(e.msg ? e.msg : "", "tenants query")) {
			error_set(err, e.code, "%s", e.msg);
		} else {
			error_set(err,
			          e.code == PGSTEP_EXIT_CONNECTION ? PGSTEP_EXIT_CONNECTION
			                                           : PGSTEP_EXIT_USAGE,
			          "tenants query failed: %s", e.msg ? e.msg : "no result");
			if (err)
				memcpy(err->sqlstate, e.sqlstate, sizeof e.sqlstate);
		}
		error_clear(&e);
		session_close(&s);
		return false;
	}

	bool ok = true;
	if (PQnfields(res) < 2) {
		error_set(err, PGSTEP_EXIT_USAGE,
		          "tenants query returns %d column%s: it needs at least two (name, schema)",
		          PQnfields(res), PQnfields(res) == 1 ? "" : "s");
		ok = false;
	}

	/* Collected apart so that a bad row leaves out as it was. */
	struct tenant_list found;
	tenant_list_init(&found);
	if (ok)
		ok = tenant_source_rows(res, control_conninfo, out, &found, err) &&
		     tenant_list_check_distinct(out, &found, err);
	if (ok) {
		for (size_t i = 0; i < found.n; i++)
			tenant_list_add(out, found.items[i]);
		found.n = 0;
	}
	tenant_list_clear(&found);
	PQclear(res);
	session_close(&s);
	return ok;
}
