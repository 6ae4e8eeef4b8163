/* run: the step runner. A run is one job (job.h) on one tenant, or a group
 * of them one tenant after another, driven from the poll loop: the job's
 * socket and backoff timer wake it, and it never blocks while a statement
 * runs. Every job runs in step mode, so each statement has a savepoint: the
 * DBA can step, undo, cancel and retry; "run to the end" only passes the
 * pauses that need nobody. A statement that takes a strong lock on a
 * relation that existed before the migration, that has an error-level
 * finding or that can lose data waits for a confirmation (dialog.c), whose
 * facts come from a second, read-only session ("watch"), which also shows
 * who a waiting statement waits for. This file starts, drives and ends
 * runs; run_watch.c is the second session, run_confirm.c the confirmation
 * and the run's dialogs, run_actions.c the actions, run_view.c the view. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pgstep/catalog.h"
#include "pgstep/job.h"
#include "pgstep/plan_risk.h"
#include "pgstep/session.h"
#include "pgstep/settings.h"
#include "pgstep/strbuf.h"
#include "pgstep/strvec.h"
#include "pgstep/xalloc.h"
#include "run_int.h"
#include "tui_int.h"

#define RUN_LOG_KEEP 200

int64_t run_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Step mode's idle_in_transaction_session_timeout: well past the hold guard
 * (the guard speaks first, the server ends a forgotten transaction later). */
int64_t run_idle_timeout_ms(const struct config *cfg)
{
	int64_t guard = cfg ? cfg->hold_limit_ms : SETTINGS_DEFAULT_HOLD_LIMIT_MS;
	if (!guard)
		return 600000;
	return guard * 12 > 60000 ? guard * 12 : 60000;
}

void run_log(struct run *rn, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	if (rn->log.n >= RUN_LOG_KEEP) {
		free(rn->log.items[0]);
		memmove(rn->log.items, rn->log.items + 1, (rn->log.n - 1) * sizeof *rn->log.items);
		rn->log.n--;
	}
	strvec_push_owned(&rn->log, line);
}

struct tenant *run_tenant(const struct app *app)
{
	return app->eng.tenants.items[app->run->tenant];
}

/* ---- the current migration ----------------------------------------------- */

struct migration *run_migration(const struct run *rn)
{
	if (!rn->job)
		return NULL;
	return job_migration(rn->job, job_current(rn->job), NULL);
}

const struct migration_section *run_section(const struct run *rn, const struct migration *m)
{
	return rn->jo.kind == JOB_UP ? &m->up : &m->down;
}

/* Analyse m as it is about to run: with the tenant's schema, and with the
 * watch session's catalogue while nothing of m holds a lock. */
static void run_analyse(struct app *app, struct migration *m)
{
	struct run *rn = app->run;
	if (rn->risk_for == m)
		return;
	risk_file_report_clear(&rn->risk);
	risk_file_report_init(&rn->risk);
	struct risk_options ro;
	plan_risk_options(&app->eng, run_tenant(app), rn->watch.session, rn->watch.cat, &ro);
	risk_analyze_migration(m, &ro, &rn->risk);
	rn->risk_for = m;
	/* The data checks plan --preflight runs: each statement's confirmation
	 * shows its results, and one that finds rows always asks. */
	preflight_list_clear(&rn->checks);
	preflight_list_init(&rn->checks);
	if (rn->jo.kind == JOB_UP && rn->watch.session) {
		run_watch_drain(rn);
		plan_risk_preflight_section(rn->watch.session, rn->watch.cat,
		                            run_tenant(app)->schema, migration_label(m),
		                            &rn->risk.up, RUN_PREFLIGHT_TIMEOUT_MS, &rn->checks);
		size_t found = 0;
		for (size_t i = 0; i < rn->checks.n; i++)
			found += rn->checks.items[i].status == PREFLIGHT_FOUND;
		if (rn->checks.n)
			run_log(rn, "preflight of %s: %zu check%s, %zu finding rows",
			        migration_label(m), rn->checks.n, rn->checks.n == 1 ? "" : "s",
			        found);
	}
	rn->confirm.given = false;
}

const struct risk_stmt *run_risk_stmt(const struct run *rn, const struct migration *m, size_t i)
{
	if (rn->risk_for != m)
		return NULL;
	const struct migration_section *sec = run_section(rn, m);
	const struct risk_report *rep = rn->jo.kind == JOB_UP ? &rn->risk.up : &rn->risk.down;
	/* The risk engine's statements come from the splitter over the same
	 * section the runner runs: statement i is the runner's statement i. */
	if (i >= sec->stmts.n || rep->n_stmts != sec->stmts.n)
		return NULL;
	return &rep->stmts[i];
}

/* An earlier statement of the open transaction holds ACCESS EXCLUSIVE on
 * rel: reading its size would wait for our own lock. Returns its 1-based
 * number, or 0. */
size_t run_own_lock(const struct run *rn, const struct migration *m, size_t upto, const char *rel)
{
	struct runner *r = rn->job ? job_runner(rn->job) : NULL;
	if (!r)
		return 0;
	for (size_t i = upto; i-- > 0;) {
		if (!runner_statement_in_transaction(r, i))
			break;
		const struct risk_stmt *s = run_risk_stmt(rn, m, i);
		for (size_t k = 0; s && k < s->n_locks; k++)
			if (s->locks[k].mode == RISK_LOCK_ACCESS_EXCLUSIVE &&
			    strcmp(s->locks[k].relation, rel) == 0)
				return i + 1;
	}
	return 0;
}

/* ---- observing the job ---------------------------------------------------------- */

static void run_note_failure(struct run *rn, const struct run_event *ev)
{
	free(rn->failed.msg);
	free(rn->failed.sql);
	rn->failed.msg = xstrdup(ev->message ? ev->message : "failed");
	rn->failed.sql = ev->sql ? xstrdup(ev->sql) : NULL;
	rn->failed.line = ev->line;
	rn->failed.index = ev->index;
	rn->failed.position = ev->position;
	rn->failed.migration = (struct migration *)ev->migration;
}

static void seconds(struct strbuf *sb, int64_t ms)
{
	strbuf_addf(sb, "%lld.%01lld s", (long long)ms / 1000, (long long)(ms % 1000) / 100);
}

/* How long a migration kept others waiting, not one duration: its
 * transaction open, its statements' own time, and how long it held a lock
 * stronger than ROW EXCLUSIVE on a relation others use (as the watch saw). */
static char *run_times(struct run *rn, const struct run_event *ev)
{
	struct runner *r = rn->job ? job_runner(rn->job) : NULL;
	bool txn = r && runner_statement_in_transaction(r, 0);
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_adds(&sb, txn ? "transaction open " : "took ");
	seconds(&sb, ev->elapsed_ms);
	strbuf_addf(&sb, ", statements %lld ms", (long long)ev->statements_ms);
	const struct watch_state *ws = rn->watch.w ? watch_state(rn->watch.w) : NULL;
	if (ws && ws->answered) {
		int64_t held = ws->held_since_ms ? run_now_ms() - ws->held_since_ms : ws->held_ms;
		strbuf_adds(&sb, held ? ", locks held " : ", no strong lock seen held");
		if (held)
			seconds(&sb, held);
	}
	return strbuf_detach(&sb);
}

static void run_on_event(void *ctx, const struct run_event *ev)
{
	struct app *app = ctx;
	struct run *rn = app->run;
	if (!rn)
		return;
	const char *label = ev->migration ? migration_label((struct migration *)ev->migration) : "";
	switch (ev->kind) {
	case RUN_EV_START:
		run_watch_reset(rn);
		run_log(rn, "%s %s: %zu statement%s",
		        ev->direction == RUN_UP ? "applying" : "rolling back", label, ev->total,
		        ev->total == 1 ? "" : "s");
		rn->retries = 0;
		break;
	case RUN_EV_STATEMENT:
		run_log(rn, "statement %zu of %zu (line %d) sent", ev->index + 1, ev->total,
		        ev->line);
		rn->watch.stmt_started_ms = run_now_ms();
		if (rn->job && job_runner(rn->job))
			runner_note_blockers(job_runner(rn->job), NULL, 0);
		run_blockers_clear(rn);
		break;
	case RUN_EV_STATEMENT_DONE:
		run_log(rn, "statement %zu done in %lld ms", ev->index + 1,
		        (long long)ev->elapsed_ms);
		run_blockers_clear(rn);
		run_last_blocker_clear(rn);
		rn->confirm.given = false;
		break;
	case RUN_EV_LOCK_WAIT:
		rn->retries = ev->attempt - 1;
		run_log(rn, "statement %zu: lock not available (%s); retry %d in %lld ms",
		        ev->index + 1, ev->message ? ev->message : "", ev->attempt - 1,
		        (long long)ev->backoff_ms);
		break;
	case RUN_EV_DONE: {
		char *times = run_times(rn, ev);
		run_log(rn, "%s %s: %s", label, ev->direction == RUN_UP ? "applied" : "rolled back",
		        times);
		strvec_push_owned(&rn->done,
		                  xasprintf("%s %s %s: %s", glyph->applied, label,
		                            ev->direction == RUN_UP ? "applied" : "rolled back",
		                            times));
		free(times);
		run_watch_reset(rn);
		free(rn->failed.msg);
		rn->failed.msg = NULL;
		/* Committed: the list and the badge show it now, not at the end. */
		app_refetch(app, rn->tenant);
		break;
	}
	case RUN_EV_FAILED:
	case RUN_EV_CANCELLED:
		run_watch_reset(rn);
		run_log(rn, "%s", ev->message ? ev->message : "failed");
		run_note_failure(rn, ev);
		break;
	case RUN_EV_STATEMENT_FAILED:
		run_log(rn, "statement %zu %s: %s", ev->index + 1,
		        ev->sqlstate && strcmp(ev->sqlstate, "57014") == 0 ? "cancelled" : "failed",
		        ev->message ? ev->message : "");
		run_note_failure(rn, ev);
		run_blockers_clear(rn);
		break;
	case RUN_EV_UNDONE:
		run_log(rn, "statement %zu undone (rolled back to its savepoint)", ev->index + 1);
		rn->confirm.given = false;
		break;
	case RUN_EV_WAITING: break; /* the run view shows the watch's own */
	case RUN_EV_NOTICE:
		run_log(rn, "%s", ev->message ? ev->message : "");
		app_message(app, false, "%s: %s", ev->tenant ? ev->tenant->name : "",
		            ev->message ? ev->message : "");
		break;
	}
	app->panes[PANE_DETAIL].dirty = true;
}

/* ---- starting and ending --------------------------------------------------------- */

static void run_release(struct run *rn)
{
	watch_free(&rn->watch.w);
	risk_file_report_clear(&rn->risk);
	preflight_list_clear(&rn->checks);
	activity_facts_clear(&rn->watch.facts);
	free(rn->watch.facts_own);
	rn->watch.facts_own = NULL;
	catalog_free(&rn->watch.cat);
	session_close(&rn->watch.session);
	rn->risk_for = NULL;
}

void run_free(struct app *app)
{
	struct run *rn = app->run;
	if (!rn)
		return;
	if (rn->job) {
		/* Quitting or a lost terminal: roll back what is open, record it. */
		job_close(&rn->job);
	}
	run_release(rn);
	strvec_clear(&rn->log);
	strvec_clear(&rn->done);
	strvec_clear(&rn->group.ok);
	strvec_clear(&rn->group.typed);
	for (size_t i = 0; i < rn->group.n_results; i++)
		free(rn->group.results[i].msg);
	free(rn->group.results);
	free(rn->group.queue);
	free(rn->to);
	free(rn->outcome);
	free(rn->abandoned);
	free(rn->failed.msg);
	free(rn->failed.sql);
	free(rn->watch.facts_error);
	free(rn->blocker_detail);
	run_last_blocker_clear(rn);
	free(rn->title);
	free(rn);
	app->run = NULL;
	app->show_run = false;
	app->eng.obs = (struct run_observer){0};
}

bool run_busy(const struct app *app)
{
	return app->run && app->run->job;
}

/* Open a job on tenant ti (blocking: connect, lock, plan). */
bool run_open_job(struct app *app, size_t ti)
{
	struct run *rn = app->run;
	struct tenant *t = app->eng.tenants.items[ti];
	rn->tenant = ti;
	app_message(app, false, "opening %s%s", t->name, glyph->ellipsis);
	screen_refresh(app);
	struct pgstep_error err = {0};
	struct run_observer obs = {.event = run_on_event, .ctx = app};
	app->eng.obs = obs;
	rn->jo.to = rn->to;
	rn->jo.step = true;
	rn->jo.step_idle_timeout_ms = run_idle_timeout_ms(app->eng.cfg);
	rn->job = job_open(&app->eng, t, &rn->jo, &obs, &err);
	rn->finished = false;
	rn->discarded = false;
	free(rn->abandoned);
	rn->abandoned = NULL;
	free(rn->outcome);
	rn->outcome = NULL;
	strvec_clear(&rn->done);
	if (!rn->job) {
		rn->rc = err.code ? err.code : PGSTEP_EXIT_FAILED;
		rn->outcome = xstrdup(err.msg ? err.msg : "could not start");
		run_log(rn, "%s", rn->outcome);
		app_message(app, true, "%s", rn->outcome);
		error_clear(&err);
		return false;
	}
	run_watch_open(app);
	app_message(app, false, "%s: %zu migration%s to %s", t->name, job_count(rn->job),
	            job_count(rn->job) == 1 ? "" : "s",
	            rn->jo.kind == JOB_UP ? "apply" : "roll back");
	return true;
}

struct run *run_new(struct app *app, enum job_kind kind, const char *to, const char *title)
{
	run_free(app);
	struct run *rn = xcalloc(1, sizeof *rn);
	strvec_init(&rn->log);
	strvec_init(&rn->done);
	strvec_init(&rn->group.ok);
	strvec_init(&rn->group.typed);
	risk_file_report_init(&rn->risk);
	preflight_list_init(&rn->checks);
	activity_facts_init(&rn->watch.facts);
	rn->jo.kind = kind;
	rn->to = to ? xstrdup(to) : NULL;
	rn->title = xstrdup(title);
	app->run = rn;
	app->show_run = true;
	app->run_scroll = 0;
	app->panes[PANE_DETAIL].dirty = true;
	app->hint_dirty = true;
	return rn;
}

static void run_group_next(struct app *app);

/* A tenant's line in a group's summary (msg is copied). */
static void run_add_result(struct run *rn, struct run_result res)
{
	XGROW(rn->group.results, rn->group.cap_results, rn->group.n_results + 1);
	res.msg = xstrdup(res.msg ? res.msg : "");
	rn->group.results[rn->group.n_results++] = res;
}

/* What the migrations a stopped run finished before it are now (static text). */
static const char *run_before(size_t ran, const char *what)
{
	static char buf[96];
	if (ran == 0)
		return "";
	snprintf(buf, sizeof buf, "; the %zu migration%s before it stay%s %s", ran,
	         ran == 1 ? "" : "s", ran == 1 ? "s" : "", what);
	return buf;
}

/* The job ended: say how, record it for a group, and let go of the tenant. */
static void run_job_done(struct app *app)
{
	struct run *rn = app->run;
	struct pgstep_error err = {0};
	rn->rc = job_result(rn->job, &err);
	size_t ran = job_current(rn->job), planned = job_count(rn->job);
	struct tenant *t = run_tenant(app);
	free(rn->outcome);
	struct migration *m = run_migration(rn);
	if (rn->rc == PGSTEP_EXIT_OK)
		rn->outcome = xasprintf("%s: %zu migration%s %s", t->name, ran, ran == 1 ? "" : "s",
		                        rn->jo.kind == JOB_UP ? "applied" : "rolled back");
	else if (rn->abandoned)
		rn->outcome = xstrdup(rn->abandoned);
	else if (rn->discarded && m && rn->discarded_dirty)
		rn->outcome = xasprintf("%s on %s: stopped on request; what ran outside a "
		                        "transaction stays and the migration is dirty (e resumes "
		                        "it, :repair records how it was resolved)",
		                        migration_label(m), t->name);
	else if (rn->discarded && m && rn->jo.kind == JOB_UP)
		rn->outcome =
		    xasprintf("%s on %s: rolled back on request; nothing of its up stays: "
		              "it is not applied%s",
		              migration_label(m), t->name, run_before(ran, "applied"));
	else if (rn->discarded && m)
		/* Abandoning a down undoes the down: the migration stays applied. */
		rn->outcome =
		    xasprintf("%s on %s: down abandoned on request; nothing was rolled back: "
		              "it is still applied%s",
		              migration_label(m), t->name, run_before(ran, "rolled back"));
	else
		rn->outcome = xstrdup(err.msg ? err.msg : "failed");
	if (!rn->failed.msg || strcmp(rn->failed.msg, rn->outcome) != 0)
		run_log(rn, "%s", rn->outcome);
	if (rn->group.active)
		run_add_result(rn, (struct run_result){.tenant = rn->tenant,
		                                       .rc = rn->rc,
		                                       .msg = rn->outcome,
		                                       .done = ran,
		                                       .planned = planned,
		                                       .ran = true});
	error_clear(&err);
	job_close(&rn->job);
	run_release(rn);
	rn->auto_run = false;
	rn->finished = true;
	app->hint_dirty = true;
	app_reload_status(app);
	app_message(app, rn->rc != PGSTEP_EXIT_OK && !rn->discarded, "%s", rn->outcome);
	if (rn->group.active)
		run_group_next(app);
}

/* ---- driving ---------------------------------------------------------------------- */

/* A preflight check of statement i found rows it would fail on or change. */
bool run_preflight_failed(const struct run *rn, const struct migration *m, size_t i)
{
	if (rn->risk_for != m)
		return false;
	for (size_t k = 0; k < rn->checks.n; k++)
		if (rn->checks.items[k].stmt == i && rn->checks.items[k].status == PREFLIGHT_FOUND)
			return true;
	return false;
}

/* Whether statement i of the current migration must be confirmed. */
bool run_needs_confirm(const struct run *rn, struct migration *m, size_t i, struct risk_confirm *c)
{
	const struct risk_stmt *s = run_risk_stmt(rn, m, i);
	if (!s)
		return false;
	risk_stmt_confirm(s, c);
	return c->kind != RISK_CONFIRM_NONE || run_preflight_failed(rn, m, i);
}

/* Group applies: a statement confirmed "on the other tenants too" is known
 * by its migration's version and its index. */
char *run_group_key(const struct migration *m, size_t i)
{
	return xasprintf("%s#%zu", m->version.key, i);
}

static bool run_group_confirmed(const struct run *rn, const struct migration *m, size_t i,
                                const char **typed)
{
	char *key = run_group_key(m, i);
	bool found = false;
	for (size_t k = 0; k < rn->group.ok.n && !found; k++)
		if (strcmp(rn->group.ok.items[k], key) == 0) {
			found = true;
			*typed = rn->group.typed.items[k];
		}
	free(key);
	return found;
}

/* Step the job as far as it goes; in "run to the end", pass the pauses
 * that need nobody. */
void run_drive(struct app *app)
{
	struct run *rn = app->run;
	for (int guard = 0; rn && rn->job && guard < 10000; guard++) {
		rn->st = job_step(rn->job);
		app->panes[PANE_DETAIL].dirty = true;
		app->hint_dirty = true;
		if (rn->st == RUN_FINISHED) {
			run_job_done(app);
			return;
		}
		if (rn->st != RUN_PAUSED)
			return;
		struct runner *r = job_runner(rn->job);
		struct migration *m = run_migration(rn);
		run_analyse(app, m);
		struct run_position pos;
		runner_position(r, &pos);
		if (pos.pause == RUN_PAUSE_FAILED && rn->group.active && rn->auto_run) {
			/* A group does not wait on one tenant: its failure is rolled
			 * back and recorded, and the group stops or goes on as chosen. */
			free(rn->abandoned);
			rn->abandoned = xasprintf(
			    "%s: %s: statement %zu failed: %s; %s", run_tenant(app)->name,
			    migration_label(m), pos.index + 1,
			    pos.error && pos.error->msg ? pos.error->msg : "",
			    rn->jo.kind == JOB_UP ? "rolled back"
			                          : "nothing was rolled back: it is still applied");
			runner_discard(r);
			continue;
		}
		if (pos.pause == RUN_PAUSE_FAILED) {
			rn->auto_run = false;
			return;
		}
		if (!rn->auto_run)
			return;
		if (pos.pause == RUN_PAUSE_STATEMENT) {
			struct risk_confirm c;
			const char *typed = NULL;
			if (!(rn->confirm.given && rn->confirm.given_for == m &&
			      rn->confirm.given_index == pos.index) &&
			    run_needs_confirm(rn, m, pos.index, &c)) {
				if (!run_group_confirmed(rn, m, pos.index, &typed)) {
					run_confirm_open(app, pos.index);
					return;
				}
				/* Confirmed for the whole group: recorded on this tenant too. */
				rn->confirm.index = pos.index;
				run_journal_answer(app, true, typed);
				run_log(rn, "statement %zu confirmed for every tenant of the group",
				        pos.index + 1);
			}
		}
		runner_next(r);
	}
}

/* ---- group apply --------------------------------------------------------------------- */

void run_start_group(struct app *app, bool go_on)
{
	struct run *rn = app->run;
	rn->group.active = true;
	rn->group.go_on = go_on;
	rn->group.qpos = 0;
	run_group_next(app);
}

static void run_group_next(struct app *app)
{
	struct run *rn = app->run;
	bool stop = !rn->group.go_on && rn->group.n_results &&
	            rn->group.results[rn->group.n_results - 1].rc != 0;
	while (rn->group.qpos < rn->group.n_queue) {
		size_t ti = rn->group.queue[rn->group.qpos++];
		if (stop) {
			run_add_result(rn, (struct run_result){
			                       .tenant = ti,
			                       .rc = PGSTEP_EXIT_FAILED,
			                       .msg = "not run: stopped at the first failure"});
			continue;
		}
		if (!run_open_job(app, ti)) {
			run_add_result(
			    rn, (struct run_result){
			            .tenant = ti, .rc = rn->rc, .msg = rn->outcome, .ran = true});
			stop = !rn->group.go_on;
			continue;
		}
		rn->auto_run = true;
		run_drive(app);
		return;
	}
	size_t ok = 0;
	for (size_t i = 0; i < rn->group.n_results; i++)
		ok += rn->group.results[i].rc == 0;
	free(rn->outcome);
	rn->outcome =
	    xasprintf("group apply: %zu of %zu tenants succeeded", ok, rn->group.n_results);
	rn->finished = true;
	rn->rc = ok == rn->group.n_results ? PGSTEP_EXIT_OK : PGSTEP_EXIT_FAILED;
	rn->discarded = false;
	app_message(app, ok < rn->group.n_results, "%s", rn->outcome);
	run_log(rn, "%s", rn->outcome);
	app->panes[PANE_DETAIL].dirty = true;
}

/* ---- the poll loop ------------------------------------------------------------------ */

size_t run_fds(struct app *app, struct pollfd *fds, size_t cap, int *timeout)
{
	struct run *rn = app->run;
	size_t n = 0;
	if (!rn || !rn->job)
		return 0;
	int t = -1;
	if (rn->st == RUN_WAIT_SOCKET && n < cap) {
		fds[n++] = (struct pollfd){.fd = job_socket(rn->job), .events = POLLIN};
		t = 200; /* the elapsed time on screen */
	} else if (rn->st == RUN_WAIT_TIMER) {
		t = job_timeout_ms(rn->job);
		if (t > 200 || t < 0)
			t = 200;
	}
	if (rn->watch.w && watch_busy(rn->watch.w) && n < cap)
		fds[n++] = (struct pollfd){.fd = watch_socket(rn->watch.w), .events = POLLIN};
	/* Paused with the transaction open: the watch keeps asking, and the
	 * banner's time keeps counting. */
	if (rn->st == RUN_PAUSED && rn->watch.w && (t < 0 || t > WATCH_EVERY_MS)) {
		struct runner *r = job_runner(rn->job);
		struct run_position pos = {0};
		if (r)
			runner_position(r, &pos);
		if (pos.in_transaction)
			t = WATCH_EVERY_MS;
	}
	if (app->dialog && app->dialog->kind == DLG_CONFIRM_STATEMENT) {
		int64_t left = rn->watch.facts_next_ms - run_now_ms();
		int ft = left > 0 ? (int)left : 0;
		t = t < 0 || ft < t ? ft : t;
	}
	if (t >= 0 && (*timeout < 0 || t < *timeout))
		*timeout = t;
	return n;
}

void run_poll(struct app *app, const struct pollfd *fds, size_t nfds)
{
	struct run *rn = app->run;
	if (!rn || !rn->job)
		return;
	for (size_t i = 0; i < nfds; i++)
		if (rn->watch.w && watch_busy(rn->watch.w) &&
		    fds[i].fd == watch_socket(rn->watch.w) && fds[i].revents)
			run_watch_read(app);
	if (rn->st == RUN_WAIT_SOCKET || rn->st == RUN_WAIT_TIMER)
		run_drive(app);
	if (!app->run || !app->run->job)
		return;
	struct runner *r = job_runner(rn->job);
	if (r) {
		struct run_position pos;
		runner_position(r, &pos);
		run_watch_tick(rn, &pos);
		if (pos.in_flight || pos.backing_off ||
		    (rn->watch.w && watch_state(rn->watch.w)->held_since_ms))
			app->panes[PANE_DETAIL].dirty = true;
	}
	run_confirm_tick(app);
}
