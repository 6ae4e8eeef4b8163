/* tenant_fetch: connecting -> rows -> events -> done (or failed at any
 * step). The queries and their parsing are state.c's (state_load_query,
 * state_load_result, state_events_query, state_events_result), the merge
 * status.c's, so the interface shows what `pgstep status` and `pgstep
 * history` would. A missing pgstep schema means no rows and no events. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgstep/session.h"
#include "pgstep/tenant_fetch.h"
#include "pgstep/xalloc.h"

enum fetch_state { FETCH_CONNECTING, FETCH_ROWS, FETCH_EVENTS, FETCH_DONE, FETCH_FAILED };

struct tenant_fetch {
	const struct migset *set;
	struct tenant *tenant;
	enum fetch_state state;
	struct session *s;
	enum session_wait wait; /* while connecting */
	int64_t deadline_ms;    /* connect deadline; 0 none */
	struct tenant_status status;
	struct event_rows events;
	char *error;
	struct strvec notices; /* the server's NOTICEs and WARNINGs, in order */
};

/* "NOTICE:  text" as psql shows it, kept for the front end: the engine never
 * prints, and a terminal interface must not let libpq write to stderr. */
static void fetch_notice(void *ctx, const PGresult *res)
{
	struct tenant_fetch *f = ctx;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char *line = xasprintf("%s: %s", sev ? sev : "NOTICE", msg ? msg : "");
	strvec_push(&f->notices, line);
	free(line);
}

static int64_t tenant_fetch_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fetch_fail(struct tenant_fetch *f, struct pgstep_error *err)
{
	free(f->error);
	f->error = xstrdup(err->msg ? err->msg : "cannot read the tenant");
	error_clear(err);
	session_close(&f->s);
	f->state = FETCH_FAILED;
}

static bool no_schema(const struct pgstep_error *err)
{
	return strcmp(err->sqlstate, "3F000") == 0 || strcmp(err->sqlstate, "42P01") == 0;
}

static void fetch_send_rows(struct tenant_fetch *f)
{
	struct pgstep_error err = {0};
	const char *names[1] = {f->tenant->name};
	struct state_query q;
	state_load_query(names, 1, true, &q);
	const char *params[1] = {q.param};
	bool sent = session_send_params(f->s, q.sql, q.nparams, params, &err);
	state_query_release(&q);
	if (!sent)
		fetch_fail(f, &err);
	else
		f->state = FETCH_ROWS;
}

static void fetch_send_events(struct tenant_fetch *f)
{
	struct pgstep_error err = {0};
	const char *params[2] = {f->tenant->name, NULL};
	if (!session_send_params(f->s, state_events_query(), 2, params, &err))
		fetch_fail(f, &err);
	else
		f->state = FETCH_EVENTS;
}

/* Read what arrived; false while the query is still running. */
static bool fetch_read(struct tenant_fetch *f, PGresult **res, const char *what)
{
	struct pgstep_error err = {0};
	if (!session_consume_result(f->s, res, &err))
		return false;
	if (!*res && !no_schema(&err)) {
		error_prefix(&err, "tenant %s: reading %s", f->tenant->name, what);
		fetch_fail(f, &err);
		return false;
	}
	error_clear(&err);
	return true;
}

struct tenant_fetch *tenant_fetch_start(const struct migset *set, struct tenant *t)
{
	struct tenant_fetch *f = xcalloc(1, sizeof *f);
	f->set = set;
	f->tenant = t;
	f->status.tenant = t;
	strvec_init(&f->notices);
	struct pgstep_error err = {0};
	f->s = session_connect_start(t->conninfo, t->name, &err);
	if (!f->s) {
		fetch_fail(f, &err);
		return f;
	}
	int secs = session_connect_timeout(t->conninfo);
	f->deadline_ms = secs ? tenant_fetch_now_ms() + (int64_t)secs * 1000 : 0;
	session_set_notice_handler(f->s, fetch_notice, f);
	f->state = FETCH_CONNECTING;
	/* libpq: after PQconnectStart, behave as if polling said "writing". */
	f->wait = SESSION_WAIT_WRITE;
	return f;
}

void tenant_fetch_free(struct tenant_fetch **fp)
{
	struct tenant_fetch *f = *fp;
	if (!f)
		return;
	session_close(&f->s);
	free(f->status.items);
	free(f->status.error);
	state_rows_clear(&f->status.rows);
	event_rows_clear(&f->events);
	strvec_clear(&f->notices);
	free(f->error);
	free(f);
	*fp = NULL;
}

bool tenant_fetch_pollfd(const struct tenant_fetch *f, struct pollfd *pfd)
{
	if (f->state == FETCH_DONE || f->state == FETCH_FAILED)
		return false;
	short ev = f->state == FETCH_CONNECTING && f->wait == SESSION_WAIT_WRITE ? POLLOUT : POLLIN;
	*pfd = (struct pollfd){.fd = session_socket(f->s), .events = ev};
	return true;
}

int tenant_fetch_timeout_ms(const struct tenant_fetch *f)
{
	if (f->state != FETCH_CONNECTING || !f->deadline_ms)
		return -1;
	int64_t left = f->deadline_ms - tenant_fetch_now_ms();
	return left < 0 ? 0 : left > 1000000 ? 1000000 : (int)left;
}

bool tenant_fetch_step(struct tenant_fetch *f, short revents)
{
	struct pgstep_error err = {0};
	PGresult *res = NULL;
	enum fetch_state before = f->state;
	if (f->state == FETCH_CONNECTING && f->deadline_ms &&
	    tenant_fetch_now_ms() >= f->deadline_ms) {
		error_set(&err, PGSTEP_EXIT_CONNECTION, "tenant %s: timeout expired",
		          f->tenant->name);
		fetch_fail(f, &err);
	} else if (!revents) {
		return false;
	} else if (f->state == FETCH_CONNECTING) {
		f->wait = session_connect_poll(f->s, &err);
		if (f->wait == SESSION_WAIT_FAILED)
			fetch_fail(f, &err);
		else if (f->wait == SESSION_WAIT_NONE)
			fetch_send_rows(f);
	} else if (f->state == FETCH_ROWS) {
		if (fetch_read(f, &res, "pgstep.migrations")) {
			if (res)
				state_load_result(res, true, &f->status.rows);
			PQclear(res);
			status_merge(f->set, &f->status);
			fetch_send_events(f);
		}
	} else if (f->state == FETCH_EVENTS) {
		if (fetch_read(f, &res, "the event log")) {
			if (res)
				state_events_result(res, &f->events);
			PQclear(res);
			session_close(&f->s);
			f->state = FETCH_DONE;
		}
	}
	return f->state != before && (f->state == FETCH_DONE || f->state == FETCH_FAILED);
}

bool tenant_fetch_done(const struct tenant_fetch *f)
{
	return f->state == FETCH_DONE || f->state == FETCH_FAILED;
}

const struct tenant_status *tenant_fetch_status(const struct tenant_fetch *f)
{
	return f->state == FETCH_DONE ? &f->status : NULL;
}

const struct event_rows *tenant_fetch_events(const struct tenant_fetch *f)
{
	return &f->events;
}

const struct strvec *tenant_fetch_notices(const struct tenant_fetch *f)
{
	return &f->notices;
}

const char *tenant_fetch_error(const struct tenant_fetch *f)
{
	return f->error;
}
