/* watch: a run's second session asking who it waits for, what it holds and
 * who queues behind it (see watch.h). One query per WATCH_EVERY_MS at most,
 * sent without blocking. */
#include "config.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgstep/plan_risk.h"
#include "pgstep/session.h"
#include "pgstep/watch.h"
#include "pgstep/xalloc.h"

struct watch {
	struct session *s; /* borrowed, unless owned */
	bool owned;
	bool busy;
	int64_t next_ms;
	int64_t asked_ms, started_ms; /* of the query in flight */
	struct watch_state st;
};

int64_t watch_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct watch *watch_new(struct session *s)
{
	struct watch *w = xcalloc(1, sizeof *w);
	w->s = s;
	return w;
}

/* It looks and never queues behind a lock for long. */
#define WATCH_LOCK_TIMEOUT_MS      300
#define WATCH_STATEMENT_TIMEOUT_MS 3000

struct watch *watch_open_tenant(const struct tenant *t, struct pgstep_error *err)
{
	struct session *s =
	    plan_risk_session(t, WATCH_LOCK_TIMEOUT_MS, WATCH_STATEMENT_TIMEOUT_MS, err);
	if (!s)
		return NULL;
	struct watch *w = watch_new(s);
	w->owned = true;
	return w;
}

char *watch_blocker_text(const struct watch_state *st)
{
	if (!st->rows.n_blockers)
		return NULL;
	const struct activity_session *s = &st->rows.blockers[0];
	return xasprintf(
	    "pid %d (%s) %s %s%s%s: we wait for it; user %s, %s, transaction %llds, "
	    "client %s: %s",
	    s->pid, s->application && *s->application ? s->application : "no application_name",
	    s->granted ? "holds" : "is queued ahead of us for",
	    s->mode ? risk_lock_name(s->mode) : "a lock", s->relation ? " on " : "",
	    s->relation ? s->relation : "", s->user ? s->user : "?", s->state ? s->state : "?",
	    (long long)s->xact_age_s, s->client ? s->client : "local socket",
	    s->query && *s->query ? s->query : "(no query)");
}

void watch_free(struct watch **w)
{
	if (!*w)
		return;
	watch_drain(*w);
	activity_watch_rows_clear(&(*w)->st.rows);
	if ((*w)->owned)
		session_close(&(*w)->s);
	free(*w);
	*w = NULL;
}

bool watch_tick(struct watch *w, int pid, int64_t started_ms, struct pgstep_error *err)
{
	int64_t now = watch_now_ms();
	if (w->busy || now < w->next_ms || pid <= 0)
		return true;
	char p[16];
	snprintf(p, sizeof p, "%d", pid);
	const char *params[1] = {p};
	if (!session_send_params(w->s, activity_watch_sql, 1, params, err))
		return false;
	w->busy = true;
	w->asked_ms = now;
	w->started_ms = started_ms;
	w->next_ms = now + WATCH_EVERY_MS;
	return true;
}

bool watch_busy(const struct watch *w)
{
	return w->busy;
}

int watch_socket(const struct watch *w)
{
	return session_socket(w->s);
}

bool watch_read(struct watch *w)
{
	if (!w->busy)
		return false;
	PGresult *res = NULL;
	struct pgstep_error err = {0};
	bool done = session_consume_result(w->s, &res, &err);
	error_clear(&err);
	if (!done)
		return false;
	w->busy = false;
	if (!res)
		return false; /* a failed look (a timeout): the last answer stands */
	activity_watch_rows_clear(&w->st.rows);
	activity_watch_read(res, &w->st.rows);
	PQclear(res);
	w->st.answered = true;
	int64_t now = watch_now_ms();
	if (w->st.rows.n_held && !w->st.held_since_ms)
		/* Taken at the latest when we asked, at the earliest when the
		 * statement that took it began. */
		w->st.held_since_ms = w->started_ms > 0 ? w->started_ms : w->asked_ms;
	else if (!w->st.rows.n_held && w->st.held_since_ms)
		w->st.held_since_ms = 0;
	if (w->st.held_since_ms && now - w->st.held_since_ms > w->st.held_ms)
		w->st.held_ms = now - w->st.held_since_ms;
	return true;
}

void watch_drain(struct watch *w)
{
	while (w->busy) {
		if (watch_read(w) || !w->busy)
			break;
		struct pollfd p = {.fd = session_socket(w->s), .events = POLLIN};
		poll(&p, 1, 100);
	}
}

void watch_forget_blockers(struct watch *w)
{
	activity_sessions_free(&w->st.rows.blockers, &w->st.rows.n_blockers);
}

void watch_reset(struct watch *w)
{
	watch_drain(w);
	activity_watch_rows_clear(&w->st.rows);
	memset(&w->st, 0, sizeof w->st);
	w->next_ms = 0;
}

const struct watch_state *watch_state(const struct watch *w)
{
	return &w->st;
}
