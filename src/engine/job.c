/* job: up and down on one tenant as a sequence of runners (see job.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "ops_int.h"
#include "pgstep/job.h"
#include "pgstep/xalloc.h"

struct job_item {
	struct migration *m;      /* what runs */
	struct migration *stored; /* owned when m is a stored text */
	struct run_options ro;
};

struct job {
	struct engine *e;
	struct tenant *t;
	struct job_options o;
	struct run_observer obs;
	struct session *s;
	struct tenant_status ts;
	struct job_item *items;
	size_t n, cur;
	struct runner *r;
	bool cancel_requested, finished;
	enum pgstep_exit result;
	struct pgstep_error err;
};

static struct run_options job_run_options(const struct engine *e, const struct migration *m)
{
	struct run_options ro = {
	    .lock_timeout_ms =
	        m && m->lock_timeout_ms > 0 ? m->lock_timeout_ms : e->cfg->lock_timeout_ms,
	    .lock_retries = e->cfg->lock_retries,
	    .retry_backoff_ms = e->cfg->retry_backoff_ms,
	    .statement_timeout_ms = e->cfg->statement_timeout_ms,
	    .interrupt_after = e->interrupt_after,
	    .phase = m ? m->phase : NULL,
	};
	return ro;
}

/* A migration left dirty by an interrupted `down` counts statements_done in
 * down statements: `up --resume` would run the up from that index, skipping
 * up statements that never ran, and record the migration applied. The row
 * does not say which direction left it dirty; the event log does (the last
 * start, resume or rollback-start of the version). Such a migration is
 * refused before anything runs and the message points to repair, as the
 * failed `down` itself does. */
static bool job_refuse_dirty_rollback(struct job *j, struct pgstep_error *err)
{
	const struct tenant_status *ts = &j->ts;
	struct migration *target = j->o.to ? migset_find(j->e->set, j->o.to) : NULL;
	for (size_t i = 0; i < ts->n; i++) {
		const struct mig_status *ms = &ts->items[i];
		if (!ms->m || ms->m->archived)
			continue;
		if (target && version_cmp(&ms->m->version, &target->version) > 0)
			break;
		if (ms->state != MSTATE_DIRTY)
			continue;
		struct event_rows ev = {0};
		if (!state_load_events(j->s, ts->tenant->name, ms->row->version, &ev, err)) {
			error_prefix(err, "tenant %s", ts->tenant->name);
			return false;
		}
		bool rollback = false;
		for (size_t k = ev.n; k-- > 0;) {
			const char *a = ev.items[k].action;
			if (strcmp(a, "start") == 0 || strcmp(a, "resume") == 0)
				break;
			if (strcmp(a, "rollback-start") == 0) {
				rollback = true;
				break;
			}
		}
		event_rows_clear(&ev);
		if (rollback) {
			error_set(
			    err, PGSTEP_EXIT_FAILED,
			    "tenant %s: %s is dirty from an interrupted rollback: %d of %d down "
			    "statements done%s%s. `pgstep up --resume` cannot continue a rollback. "
			    "Check the database, then record how you resolved it with `pgstep "
			    "repair --tenant %s --version %s --mark applied|rolled_back --reason "
			    "\"...\"`",
			    ts->tenant->name, migration_label(ms->m), ms->row->statements_done,
			    ms->row->statements_total,
			    ms->row->error_message ? "; last error: " : "",
			    ms->row->error_message ? ms->row->error_message : "", ts->tenant->name,
			    ms->m->version.text);
			return false;
		}
	}
	return true;
}

static bool job_plan_up(struct job *j, struct pgstep_error *err)
{
	struct up_options uo = {.to = j->o.to, .resume = j->o.resume};
	struct migration **plan = NULL;
	size_t n = 0;
	if (!job_refuse_dirty_rollback(j, err) || !ops_plan_up(j->e, &j->ts, &uo, &plan, &n, err))
		return false;
	j->items = xcalloc(n + 1, sizeof *j->items);
	for (size_t i = 0; i < n; i++) {
		struct job_item *it = &j->items[j->n++];
		it->m = plan[i];
		it->ro = job_run_options(j->e, plan[i]);
		it->ro.async_commit = i + 1 < n && !j->o.step;
		for (size_t k = 0; k < j->ts.n; k++)
			if (j->ts.items[k].m == plan[i] && j->ts.items[k].state == MSTATE_DIRTY) {
				it->ro.resume = true;
				it->ro.resume_from = (size_t)j->ts.items[k].row->statements_done;
			}
	}
	free(plan);
	return true;
}

/* A migration standing for a row whose file is gone, or whose down must come
 * from the text stored at apply time. */
static struct migration *job_stored_migration(const struct state_row *row, const char *what)
{
	struct migration *m = xcalloc(1, sizeof *m);
	if (!version_parse(row->version_text ? row->version_text : row->version, &m->version))
		version_parse("0", &m->version);
	m->name = xstrdup(row->name ? row->name : "");
	m->phase = xstrdup(row->phase ? row->phase : "");
	m->lock_timeout_ms = -1;
	strvec_init(&m->requires);
	snprintf(m->checksum, sizeof m->checksum, "%s", row->checksum ? row->checksum : "");
	m->up.path = xasprintf("%s (%s)", row->name ? row->name : row->version, what);
	m->up.text = xstrdup(row->up_sql ? row->up_sql : "");
	m->up.first_line = 1;
	m->down.path = xstrdup(m->up.path);
	m->down.text = row->down_sql ? xstrdup(row->down_sql) : NULL;
	m->down.first_line = 1;
	statement_list_init(&m->up.stmts);
	statement_list_init(&m->down.stmts);
	return m;
}

static bool job_plan_down(struct job *j, struct pgstep_error *err)
{
	struct down_options dop = {.to = j->o.to, .steps = j->o.steps, .use_file = j->o.use_file};
	const struct mig_status **plan = NULL;
	size_t n = 0;
	if (!ops_plan_down(j->e, &j->ts, &dop, &plan, &n, err))
		return false;
	if (n == 0)
		ops_notice(j->e, j->t, "nothing to roll back");
	j->items = xcalloc(n + 1, sizeof *j->items);
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		const struct mig_status *ms = plan[i];
		struct job_item *it = &j->items[j->n++];
		it->m = ms->m;
		if (!ms->m) {
			it->m = it->stored =
			    job_stored_migration(ms->row, "file missing, stored at apply time");
			ops_notice(j->e, j->t,
			           "the file is gone: using the down SQL stored at apply time");
		} else if (!ms->checksum_ok && !j->o.use_file && ms->row->down_sql) {
			it->m = it->stored = job_stored_migration(ms->row, "stored at apply time");
			char *msg =
			    xasprintf("%s changed since it was applied: running the down SQL "
			              "stored at apply time (use --use-file for the file's)",
			              migration_label(ms->m));
			ops_notice(j->e, j->t, msg);
			free(msg);
		}
		if (!it->m->down.text) {
			error_set(err, PGSTEP_EXIT_FAILED,
			          "tenant %s: %s is irreversible: it has no down migration; "
			          "nothing was rolled back",
			          j->t->name, migration_label(it->m));
			ok = false;
		}
		it->ro = job_run_options(j->e, ms->m);
		it->ro.phase = it->m->phase;
	}
	free(plan);
	return ok;
}

struct job *job_open(struct engine *e, struct tenant *t, const struct job_options *o,
                     const struct run_observer *obs, struct pgstep_error *err)
{
	if (o->kind == JOB_UP) {
		if (engine_set_has_errors(e)) {
			error_set(err, PGSTEP_EXIT_USAGE,
			          "the migration set has errors: nothing applied");
			return NULL;
		}
		/* Parse everything before touching the database: a syntax error in
		 * the fifth migration must not be found after four were applied. */
		for (size_t i = 0; i < e->set->n; i++)
			if (!migration_split(e->set->items[i], err))
				return NULL;
	}
	struct job *j = xcalloc(1, sizeof *j);
	j->e = e;
	j->t = t;
	j->o = *o;
	if (obs)
		j->obs = *obs;
	j->s = ops_open_tenant(e, t, true, err);
	if (!j->s ||
	    !ops_load_status(e, j->s, t, o->kind == JOB_DOWN, &j->ts, err) ||
	    !(o->kind == JOB_UP ? job_plan_up(j, err) : job_plan_down(j, err))) {
		if (!err->code)
			err->code = PGSTEP_EXIT_FAILED;
		job_close(&j);
		return NULL;
	}
	return j;
}

void job_close(struct job **jp)
{
	struct job *j = *jp;
	if (!j)
		return;
	if (j->r) {
		/* Whatever is open is rolled back and recorded before we go. */
		runner_discard(j->r);
		j->cancel_requested = true;
		struct pgstep_error ignore = {0};
		job_run(j, NULL, &ignore);
		error_clear(&ignore);
	}
	for (size_t i = 0; i < j->n; i++)
		migration_free(&j->items[i].stored);
	free(j->items);
	ops_status_release(&j->ts);
	ops_close_tenant(&j->s, j->t);
	error_clear(&j->err);
	free(j);
	*jp = NULL;
}

size_t job_count(const struct job *j)
{
	return j->n;
}

struct migration *job_migration(const struct job *j, size_t i, bool *stored)
{
	if (i >= j->n)
		return NULL;
	if (stored)
		*stored = j->items[i].stored != NULL;
	return j->items[i].m;
}

size_t job_current(const struct job *j)
{
	return j->cur;
}

struct runner *job_runner(struct job *j)
{
	return j->r;
}

enum job_kind job_kind(const struct job *j)
{
	return j->o.kind;
}

int job_backend_pid(const struct job *j)
{
	return session_backend_pid(j->s);
}

static void job_finish(struct job *j, enum pgstep_exit rc)
{
	j->finished = true;
	j->result = rc;
}

/* Stopped between migrations: record it. This synchronous commit also makes
 * the asynchronous ones before it durable. */
static void job_stopped_between(struct job *j)
{
	struct migration *last = j->items[j->cur - 1].m;
	size_t left = j->n - j->cur;
	char *detail =
	    xasprintf("{\"stopped_after\":\"%s\",\"not_applied\":%zu}", last->version.key, left);
	struct pgstep_error ignore = {0};
	state_event(j->s, &j->e->actor, j->t->name, NULL, "cancel", detail, &ignore);
	error_clear(&ignore);
	free(detail);
	error_set(&j->err, PGSTEP_EXIT_FAILED, "tenant %s: interrupted after %s; %zu not %s",
	          j->t->name, migration_label(last), left,
	          j->o.kind == JOB_UP ? "applied" : "rolled back");
	job_finish(j, PGSTEP_EXIT_FAILED);
}

enum run_status job_step(struct job *j)
{
	while (!j->finished) {
		if (!j->r) {
			if (j->cur == j->n) {
				job_finish(j, PGSTEP_EXIT_OK);
				break;
			}
			if (j->cancel_requested && j->cur > 0) {
				job_stopped_between(j);
				break;
			}
			struct job_item *it = &j->items[j->cur];
			struct run_options ro = it->ro;
			ro.step = j->o.step;
			ro.use_stored_down = it->stored != NULL;
			ro.stored_down_sql = it->stored ? it->stored->down.text : NULL;
			j->r = runner_new(j->s, &j->e->actor, j->t, it->m,
			                  j->o.kind == JOB_UP ? RUN_UP : RUN_DOWN, &ro, &j->obs,
			                  &j->err);
			if (!j->r) {
				job_finish(j, j->err.code ? j->err.code : PGSTEP_EXIT_FAILED);
				break;
			}
			if (j->cancel_requested)
				runner_cancel(j->r);
		}
		enum run_status st = runner_step(j->r);
		if (st != RUN_FINISHED)
			return st;
		enum pgstep_exit rc = runner_result(j->r, &j->err);
		runner_free(&j->r);
		if (rc != PGSTEP_EXIT_OK) {
			job_finish(j, rc);
			break;
		}
		j->cur++;
	}
	return RUN_FINISHED;
}

int job_socket(const struct job *j)
{
	return session_socket(j->s);
}

int job_timeout_ms(const struct job *j)
{
	return j->r ? runner_timeout_ms(j->r) : -1;
}

void job_cancel(struct job *j)
{
	j->cancel_requested = true;
	if (j->r)
		runner_cancel(j->r);
}

enum pgstep_exit job_result(const struct job *j, struct pgstep_error *err)
{
	if (j->result != PGSTEP_EXIT_OK && err && j->err.msg) {
		error_set(err, j->result, "%s", j->err.msg);
		memcpy(err->sqlstate, j->err.sqlstate, sizeof err->sqlstate);
		err->position = j->err.position;
	}
	return j->result;
}

enum pgstep_exit job_run(struct job *j, volatile sig_atomic_t *interrupted,
                         struct pgstep_error *err)
{
	for (;;) {
		if (interrupted && *interrupted && !j->cancel_requested)
			job_cancel(j);
		enum run_status st = job_step(j);
		if (st == RUN_FINISHED)
			return job_result(j, err);
		if (st == RUN_PAUSED) { /* this driver does not stop at pauses */
			runner_next(j->r);
			continue;
		}
		struct pollfd pfd = {.fd = job_socket(j), .events = POLLIN};
		/* Wake up regularly so a signal that arrived between the flag check
		 * and poll() is seen within 100 ms. */
		int timeout = 100;
		if (st == RUN_WAIT_TIMER) {
			int t = job_timeout_ms(j);
			timeout = t < timeout ? t : timeout;
		}
		int n = poll(st == RUN_WAIT_SOCKET ? &pfd : NULL, st == RUN_WAIT_SOCKET ? 1 : 0,
		             timeout);
		if (n < 0 && errno != EINTR) {
			error_set(err, PGSTEP_EXIT_FAILED, "poll: %s", strerror(errno));
			return PGSTEP_EXIT_FAILED;
		}
	}
}
