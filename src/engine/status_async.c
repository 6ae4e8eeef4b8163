/* status_async: one job per database (tenants sharing a conninfo), each a
 * small state machine: waiting -> connecting -> querying -> answered ->
 * done. Only the summary is kept (the badge: state, applied, pending),
 * computed by status_summarize in status.c from a lean query
 * (state_brief_query): the rows are indexed in the result as soon as it is
 * in, counted against the set once there is one (the set may still be
 * loading when the answers come), and never copied. Merging every tenant
 * with the set (status_collect's way) costs tenants x migrations entries:
 * ten million, 300 MB, at 1,000 x 10,000. A front end reads the selected
 * tenant's rows itself (tenant_fetch). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgstep/session.h"
#include "pgstep/state.h"
#include "pgstep/status_async.h"
#include "pgstep/xalloc.h"

#define STATUS_ASYNC_DEFAULT_CONNS 16

/* JOB_ANSWERED: the result is in and indexed, the connection closed; the
 * set is awaited to count it against. */
enum job_state { JOB_WAITING, JOB_CONNECTING, JOB_QUERYING, JOB_ANSWERED, JOB_DONE };

/* A row of an answer as status_summarize needs it. */
struct job_row {
	const char *version; /* borrowed from the job's result */
	enum row_state state;
};

struct status_job {
	enum job_state state;
	struct tenant_status **group; /* into sa->report.items; not owned */
	size_t n;
	struct session *s;
	enum session_wait wait; /* while connecting */
	int64_t deadline_ms;    /* connect deadline; 0 none */
	/* JOB_ANSWERED: the result (NULL: nothing applied) and its rows
	 * grouped by tenant, group[t]'s in version order at
	 * rows[start[t]..start[t + 1]). All owned. */
	PGresult *res;
	struct job_row *rows;
	size_t *start;
};

struct status_async {
	const struct migset *set;    /* NULL until status_async_set_migset */
	struct status_report report; /* owned; items in the caller's order */
	bool *known;                 /* per item */
	size_t n_known;
	struct tenant_status **order; /* items grouped by conninfo */
	struct status_job *jobs;
	size_t n_jobs, next_job, active, max_conns;
	size_t *polled; /* job of each pollfd handed out */
	size_t n_polled, cap_polled;
};

static int64_t status_async_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int status_async_conninfo_cmp(const void *a, const void *b)
{
	const struct tenant_status *const *x = a, *const *y = b;
	return strcmp((*x)->tenant->conninfo, (*y)->tenant->conninfo);
}

/* The connection is done with: another job may have its place. */
static void job_close(struct status_async *sa, struct status_job *j)
{
	session_close(&j->s);
	sa->active--;
}

static void job_known(struct status_async *sa, struct status_job *j)
{
	j->state = JOB_DONE;
	for (size_t i = 0; i < j->n; i++) {
		size_t idx = (size_t)(j->group[i] - sa->report.items);
		if (!sa->known[idx]) {
			sa->known[idx] = true;
			sa->n_known++;
		}
	}
}

static void job_fail(struct status_async *sa, struct status_job *j, struct pgstep_error *err)
{
	status_fail_group(j->group, j->n, err);
	error_clear(err);
	job_close(sa, j);
	job_known(sa, j);
}

static void job_send(struct status_async *sa, struct status_job *j)
{
	struct pgstep_error err = {0};
	const char **names = xcalloc(j->n, sizeof *names);
	for (size_t i = 0; i < j->n; i++)
		names[i] = j->group[i]->tenant->name;
	struct state_query q;
	state_brief_query(names, j->n, &q);
	free(names);
	const char *params[1] = {q.param};
	bool sent = session_send_params(j->s, q.sql, q.nparams, params, &err);
	state_query_release(&q);
	if (!sent) {
		job_fail(sa, j, &err);
		return;
	}
	j->state = JOB_QUERYING;
}

static void job_connect_step(struct status_async *sa, struct status_job *j)
{
	struct pgstep_error err = {0};
	j->wait = session_connect_poll(j->s, &err);
	if (j->wait == SESSION_WAIT_FAILED)
		job_fail(sa, j, &err);
	else if (j->wait == SESSION_WAIT_NONE)
		job_send(sa, j);
}

static void job_start(struct status_async *sa, struct status_job *j)
{
	struct pgstep_error err = {0};
	const struct tenant *t = j->group[0]->tenant;
	sa->active++;
	j->s = session_connect_start(t->conninfo, t->name, &err);
	if (!j->s) {
		job_fail(sa, j, &err);
		return;
	}
	int secs = session_connect_timeout(t->conninfo);
	j->deadline_ms = secs ? status_async_now_ms() + (int64_t)secs * 1000 : 0;
	j->state = JOB_CONNECTING;
	/* libpq: after PQconnectStart, behave as if polling said "writing". */
	j->wait = SESSION_WAIT_WRITE;
}

static int job_name_cmp(const void *a, const void *b)
{
	const struct tenant_status *const *x = a, *const *y = b;
	return strcmp((*x)->tenant->name, (*y)->tenant->name);
}

static int job_key_cmp(const void *key, const void *elem)
{
	const struct tenant_status *const *y = elem;
	return strcmp(key, (*y)->tenant->name);
}

static int job_row_cmp(const void *a, const void *b)
{
	const struct job_row *x = a, *y = b;
	return version_key_cmp(x->version, y->version);
}

/* Group the answer's rows by tenant and sort each tenant's by version: all
 * of summarizing that needs no set, done when the answer comes in (while
 * the set may still be loading). */
static void job_index(struct status_job *j)
{
	size_t n = j->n;
	qsort(j->group, n, sizeof *j->group, job_name_cmp);
	int nrows = j->res ? PQntuples(j->res) : 0;
	struct job_row *flat = xcalloc(nrows ? (size_t)nrows : 1, sizeof *flat);
	int *owner = xcalloc(nrows ? (size_t)nrows : 1, sizeof *owner);
	j->start = xcalloc(n + 1, sizeof *j->start);
	for (int i = 0; i < nrows; i++) {
		struct state_row r;
		state_brief_row(j->res, i, &r);
		flat[i] = (struct job_row){.version = r.version, .state = r.state};
		struct tenant_status **hit =
		    bsearch(r.tenant, j->group, n, sizeof *j->group, job_key_cmp);
		owner[i] = hit ? (int)(hit - j->group) : -1;
		if (hit)
			j->start[owner[i] + 1]++;
	}
	for (size_t t = 0; t < n; t++)
		j->start[t + 1] += j->start[t];
	j->rows = xcalloc(j->start[n] ? j->start[n] : 1, sizeof *j->rows);
	size_t *fill = xcalloc(n ? n : 1, sizeof *fill);
	for (int i = 0; i < nrows; i++)
		if (owner[i] >= 0)
			j->rows[j->start[owner[i]] + fill[owner[i]]++] = flat[i];
	for (size_t t = 0; t < n; t++)
		qsort(j->rows + j->start[t], j->start[t + 1] - j->start[t], sizeof *j->rows,
		      job_row_cmp);
	free(fill);
	free(owner);
	free(flat);
}

/* Count every tenant of an answered job against the set: each tenant's
 * rows go, borrowed, into one reused array for status_summarize. */
static void job_count(struct status_async *sa, struct status_job *j)
{
	struct state_rows tmp = {0};
	for (size_t t = 0; t < j->n; t++) {
		size_t k = j->start[t + 1] - j->start[t];
		XGROW(tmp.items, tmp.cap, k);
		for (size_t r = 0; r < k; r++) {
			const struct job_row *jr = &j->rows[j->start[t] + r];
			tmp.items[r] =
			    (struct state_row){.version = (char *)jr->version, .state = jr->state};
		}
		tmp.n = k;
		/* Borrowed strings: the rows are handed back, never released. */
		j->group[t]->rows = tmp;
		status_summarize(sa->set, j->group[t]);
		tmp = j->group[t]->rows;
		j->group[t]->rows = (struct state_rows){0};
	}
	free(tmp.items);
	PQclear(j->res);
	j->res = NULL;
	free(j->rows);
	j->rows = NULL;
	free(j->start);
	j->start = NULL;
	job_known(sa, j);
}

static void job_read(struct status_async *sa, struct status_job *j)
{
	struct pgstep_error err = {0};
	PGresult *res = NULL;
	if (!session_consume_result(j->s, &res, &err))
		return;
	if (!res && strcmp(err.sqlstate, "3F000") != 0 && strcmp(err.sqlstate, "42P01") != 0) {
		error_prefix(&err, "tenant %s: reading pgstep.migrations", session_label(j->s));
		job_fail(sa, j, &err);
		return;
	}
	/* Else (no result) no pgstep schema yet: nothing applied. */
	error_clear(&err);
	job_close(sa, j);
	j->res = res;
	job_index(j);
	j->state = JOB_ANSWERED;
	if (sa->set)
		job_count(sa, j);
}

static void status_async_fill(struct status_async *sa)
{
	while (sa->active < sa->max_conns && sa->next_job < sa->n_jobs)
		job_start(sa, &sa->jobs[sa->next_job++]);
}

struct status_async *status_async_start(const struct migset *set, struct tenant *const *tenants,
                                        size_t n, size_t max_conns)
{
	struct status_async *sa = xcalloc(1, sizeof *sa);
	sa->set = set;
	sa->max_conns = max_conns ? max_conns : STATUS_ASYNC_DEFAULT_CONNS;
	sa->report.items = xcalloc(n ? n : 1, sizeof *sa->report.items);
	sa->report.n = n;
	sa->known = xcalloc(n ? n : 1, sizeof *sa->known);
	sa->order = xcalloc(n ? n : 1, sizeof *sa->order);
	for (size_t i = 0; i < n; i++) {
		sa->report.items[i].tenant = tenants[i];
		sa->order[i] = &sa->report.items[i];
	}
	if (n > 1)
		qsort(sa->order, n, sizeof *sa->order, status_async_conninfo_cmp);
	sa->jobs = xcalloc(n ? n : 1, sizeof *sa->jobs);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n &&
		       strcmp(sa->order[j]->tenant->conninfo, sa->order[i]->tenant->conninfo) == 0)
			j++;
		sa->jobs[sa->n_jobs++] = (struct status_job){.group = sa->order + i, .n = j - i};
		i = j;
	}
	status_async_fill(sa);
	return sa;
}

void status_async_free(struct status_async **sap)
{
	if (!sap || !*sap)
		return;
	struct status_async *sa = *sap;
	for (size_t i = 0; i < sa->n_jobs; i++) {
		session_close(&sa->jobs[i].s);
		PQclear(sa->jobs[i].res);
		free(sa->jobs[i].rows);
		free(sa->jobs[i].start);
	}
	status_report_clear(&sa->report);
	free(sa->known);
	free(sa->order);
	free(sa->jobs);
	free(sa->polled);
	free(sa);
	*sap = NULL;
}

size_t status_async_fds(struct status_async *sa, struct pollfd *fds, size_t cap)
{
	size_t k = 0;
	sa->n_polled = 0;
	for (size_t i = 0; i < sa->n_jobs && k < cap; i++) {
		struct status_job *j = &sa->jobs[i];
		if (j->state != JOB_CONNECTING && j->state != JOB_QUERYING)
			continue;
		short ev =
		    j->state == JOB_CONNECTING && j->wait == SESSION_WAIT_WRITE ? POLLOUT : POLLIN;
		fds[k] = (struct pollfd){.fd = session_socket(j->s), .events = ev};
		XGROW(sa->polled, sa->cap_polled, sa->n_polled + 1);
		sa->polled[sa->n_polled++] = i;
		k++;
	}
	return k;
}

int status_async_timeout_ms(const struct status_async *sa)
{
	int64_t now = status_async_now_ms(), best = -1;
	for (size_t i = 0; i < sa->n_jobs; i++) {
		const struct status_job *j = &sa->jobs[i];
		if (j->state != JOB_CONNECTING || !j->deadline_ms)
			continue;
		int64_t left = j->deadline_ms > now ? j->deadline_ms - now : 0;
		if (best < 0 || left < best)
			best = left;
	}
	return best > 1000000 ? 1000000 : (int)best;
}

size_t status_async_step(struct status_async *sa, const struct pollfd *fds, size_t nfds)
{
	size_t before = sa->n_known;
	for (size_t k = 0; k < nfds && k < sa->n_polled; k++) {
		struct status_job *j = &sa->jobs[sa->polled[k]];
		if (!fds[k].revents)
			continue;
		if (j->state == JOB_CONNECTING)
			job_connect_step(sa, j);
		else if (j->state == JOB_QUERYING)
			job_read(sa, j);
	}
	sa->n_polled = 0;
	int64_t now = status_async_now_ms();
	for (size_t i = 0; i < sa->n_jobs; i++) {
		struct status_job *j = &sa->jobs[i];
		if (j->state == JOB_CONNECTING && j->deadline_ms && now >= j->deadline_ms) {
			struct pgstep_error err = {0};
			error_set(&err, PGSTEP_EXIT_CONNECTION, "tenant %s: timeout expired",
			          j->group[0]->tenant->name);
			job_fail(sa, j, &err);
		}
	}
	status_async_fill(sa);
	return sa->n_known - before;
}

size_t status_async_set_migset(struct status_async *sa, const struct migset *set)
{
	size_t before = sa->n_known;
	sa->set = set;
	for (size_t i = 0; i < sa->n_jobs; i++) {
		struct status_job *j = &sa->jobs[i];
		if (j->state == JOB_ANSWERED)
			job_count(sa, j);
	}
	return sa->n_known - before;
}

bool status_async_done(const struct status_async *sa)
{
	return sa->n_known == sa->report.n;
}

const struct tenant_status *status_async_get(const struct status_async *sa, size_t i)
{
	return i < sa->report.n && sa->known[i] ? &sa->report.items[i] : NULL;
}

size_t status_async_known(const struct status_async *sa)
{
	return sa->n_known;
}
