/* run: the step runner. A run is one job (job.h) on one tenant, or a group
 * of them one tenant after another, driven from the poll loop: the job's
 * socket and backoff timer wake it, and it never blocks while a statement
 * runs. Every job runs in step mode, so each statement has a savepoint: the
 * DBA can step, undo, cancel and retry; "run to the end" only passes the
 * pauses that need nobody. A statement that takes a strong lock on a
 * relation that existed before the migration, that has an error-level
 * finding or that can lose data waits for a confirmation (dialog.c), whose
 * facts come from a second, read-only session ("watch"), which also shows
 * who a waiting statement waits for. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pgstep/catalog.h"
#include "pgstep/job.h"
#include "pgstep/json.h"
#include "pgstep/plan_risk.h"
#include "pgstep/session.h"
#include "pgstep/strvec.h"
#include "pgstep/xalloc.h"
#include "run_int.h"
#include "tui_int.h"

/* The watch session looks; it never queues behind a lock for long. */
#define WATCH_LOCK_TIMEOUT_MS      300
#define WATCH_STATEMENT_TIMEOUT_MS 3000
#define WATCH_BLOCKERS_EVERY_MS    500
#define WATCH_FACTS_EVERY_MS       1000
/* A statement shorter than this never shows a wait. */
#define RUN_WAIT_SHOWN_MS 200
#define RUN_LOG_KEEP      200

int64_t run_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

static struct tenant *run_tenant(const struct app *app)
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
	plan_risk_options(&app->eng, run_tenant(app), rn->watch, rn->cat, &ro);
	risk_analyze_migration(m, &ro, &rn->risk);
	rn->risk_for = m;
	rn->confirmed = false;
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
size_t run_own_lock(const struct run *rn, const struct migration *m, size_t upto,
                    const char *rel)
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

/* ---- the watch session -------------------------------------------------------- */

static void run_watch_open(struct app *app)
{
	struct run *rn = app->run;
	struct pgstep_error err = {0};
	rn->watch = plan_risk_session(run_tenant(app), WATCH_LOCK_TIMEOUT_MS,
	                              WATCH_STATEMENT_TIMEOUT_MS, &err);
	if (rn->watch)
		rn->cat = catalog_new(rn->watch, run_tenant(app)->schema);
	else
		run_log(rn, "no second session for live facts: %s", err.msg);
	error_clear(&err);
}

/* Wait for the watch session's query in flight (short: it has timeouts). */
static void run_watch_drain(struct run *rn)
{
	while (rn->watch && rn->watch_busy) {
		PGresult *res = NULL;
		struct pgstep_error err = {0};
		if (session_consume_result(rn->watch, &res, &err)) {
			PQclear(res);
			rn->watch_busy = false;
		} else {
			struct pollfd p = {.fd = session_socket(rn->watch), .events = POLLIN};
			poll(&p, 1, 100);
		}
		error_clear(&err);
	}
}

static void run_blockers_clear(struct run *rn)
{
	activity_sessions_free(&rn->blockers, &rn->n_blockers);
}

/* While a statement runs: ask every so often who it waits for. */
static void run_watch_tick(struct run *rn, const struct run_position *pos)
{
	if (!rn->watch || rn->watch_busy || !pos->in_flight || pos->elapsed_ms < RUN_WAIT_SHOWN_MS ||
	    run_now_ms() < rn->watch_next_ms)
		return;
	char pid[16];
	snprintf(pid, sizeof pid, "%d", job_backend_pid(rn->job));
	const char *params[1] = {pid};
	struct pgstep_error err = {0};
	if (session_send_params(rn->watch, activity_blockers_sql, 1, params, &err))
		rn->watch_busy = true;
	error_clear(&err);
	rn->watch_next_ms = run_now_ms() + WATCH_BLOCKERS_EVERY_MS;
}

static void run_watch_read(struct app *app)
{
	struct run *rn = app->run;
	PGresult *res = NULL;
	struct pgstep_error err = {0};
	if (!session_consume_result(rn->watch, &res, &err)) {
		error_clear(&err);
		return;
	}
	rn->watch_busy = false;
	run_blockers_clear(rn);
	if (res) {
		activity_blockers_read(res, &rn->blockers, &rn->n_blockers);
		PQclear(res);
	}
	error_clear(&err);
	app->panes[PANE_DETAIL].dirty = true;
}

/* The dialog's facts about rel: size and rows, and who holds or waits for a
 * lock on it. Blocking, but short (the watch session's timeouts). */
static void run_facts_refresh(struct app *app, const char *rel)
{
	struct run *rn = app->run;
	activity_facts_clear(&rn->facts);
	activity_facts_init(&rn->facts);
	free(rn->facts_error);
	rn->facts_error = NULL;
	rn->facts_next_ms = run_now_ms() + WATCH_FACTS_EVERY_MS;
	if (!rn->watch || !rel)
		return;
	run_watch_drain(rn);
	struct activity_relation *a = activity_add(&rn->facts, rel);
	uint32_t oid = 0;
	struct pgstep_error err = {0};
	if (!catalog_relation(rn->cat, rel, &a->size) || !catalog_oid(rn->cat, rel, &oid)) {
		if (catalog_error(rn->cat))
			rn->facts_error = xstrdup(catalog_error(rn->cat));
		return;
	}
	if (!activity_relation_load(rn->watch, oid, a, &err))
		rn->facts_error = xstrdup(err.msg);
	error_clear(&err);
	/* The job's own session is not someone in the way: say it apart. */
	rn->facts_own = RISK_LOCK_NONE;
	int self = rn->job ? job_backend_pid(rn->job) : 0;
	size_t k = 0;
	for (size_t i = 0; i < a->n_sessions; i++) {
		if (a->sessions[i].pid == self && self) {
			if (a->sessions[i].mode > rn->facts_own)
				rn->facts_own = a->sessions[i].mode;
			activity_session_clear(&a->sessions[i]);
			continue;
		}
		a->sessions[k++] = a->sessions[i];
	}
	a->n_sessions = k;
}

/* ---- observing the job ---------------------------------------------------------- */

static void run_note_failure(struct run *rn, const struct run_event *ev)
{
	free(rn->failed_msg);
	free(rn->failed_sql);
	rn->failed_msg = xstrdup(ev->message ? ev->message : "failed");
	rn->failed_sql = ev->sql ? xstrdup(ev->sql) : NULL;
	rn->failed_line = ev->line;
	rn->failed_index = ev->index;
	rn->failed_position = ev->position;
	rn->failed_for = (struct migration *)ev->migration;
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
		run_log(rn, "%s %s: %zu statement%s",
		        ev->direction == RUN_UP ? "applying" : "rolling back", label, ev->total,
		        ev->total == 1 ? "" : "s");
		rn->retries = 0;
		break;
	case RUN_EV_STATEMENT:
		run_log(rn, "statement %zu of %zu (line %d) sent", ev->index + 1, ev->total,
		        ev->line);
		run_blockers_clear(rn);
		break;
	case RUN_EV_STATEMENT_DONE:
		run_log(rn, "statement %zu done in %lld ms", ev->index + 1,
		        (long long)ev->elapsed_ms);
		run_blockers_clear(rn);
		rn->confirmed = false;
		break;
	case RUN_EV_LOCK_WAIT:
		rn->retries = ev->attempt - 1;
		run_log(rn, "statement %zu: lock not available (%s); retry %d in %lld ms",
		        ev->index + 1, ev->message ? ev->message : "", ev->attempt - 1,
		        (long long)ev->backoff_ms);
		break;
	case RUN_EV_DONE:
		run_log(rn, "%s %s in %lld ms", label,
		        ev->direction == RUN_UP ? "applied" : "rolled back", (long long)ev->elapsed_ms);
		strvec_push_owned(&rn->done,
		                  xasprintf("%s %s %s in %lld ms", glyph->applied, label,
		                            ev->direction == RUN_UP ? "applied" : "rolled back",
		                            (long long)ev->elapsed_ms));
		free(rn->failed_msg);
		rn->failed_msg = NULL;
		break;
	case RUN_EV_FAILED:
	case RUN_EV_CANCELLED:
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
		rn->confirmed = false;
		break;
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
	if (rn->watch)
		run_watch_drain(rn);
	run_blockers_clear(rn);
	risk_file_report_clear(&rn->risk);
	activity_facts_clear(&rn->facts);
	catalog_free(&rn->cat);
	session_close(&rn->watch);
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
	strvec_clear(&rn->group_ok);
	strvec_clear(&rn->group_typed);
	for (size_t i = 0; i < rn->n_results; i++)
		free(rn->results[i].msg);
	free(rn->results);
	free(rn->queue);
	free(rn->to);
	free(rn->outcome);
	free(rn->abandoned);
	free(rn->failed_msg);
	free(rn->failed_sql);
	free(rn->facts_error);
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
static bool run_open_job(struct app *app, size_t ti)
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

static struct run *run_new(struct app *app, enum job_kind kind, const char *to, const char *title)
{
	run_free(app);
	struct run *rn = xcalloc(1, sizeof *rn);
	strvec_init(&rn->log);
	strvec_init(&rn->done);
	strvec_init(&rn->group_ok);
	strvec_init(&rn->group_typed);
	risk_file_report_init(&rn->risk);
	activity_facts_init(&rn->facts);
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
	XGROW(rn->results, rn->cap_results, rn->n_results + 1);
	res.msg = xstrdup(res.msg ? res.msg : "");
	rn->results[rn->n_results++] = res;
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
	else if (rn->discarded && m)
		rn->outcome = xasprintf("%s on %s: rolled back on request; nothing of its %s stays",
		                        migration_label(m), t->name,
		                        rn->jo.kind == JOB_UP ? "up" : "down");
	else
		rn->outcome = xstrdup(err.msg ? err.msg : "failed");
	if (!rn->failed_msg || strcmp(rn->failed_msg, rn->outcome) != 0)
		run_log(rn, "%s", rn->outcome);
	if (rn->group)
		run_add_result(rn, (struct run_result){.tenant = rn->tenant, .rc = rn->rc,
		                                       .msg = rn->outcome, .done = ran,
		                                       .planned = planned, .ran = true});
	error_clear(&err);
	job_close(&rn->job);
	run_release(rn);
	rn->auto_run = false;
	rn->finished = true;
	app->hint_dirty = true;
	app_reload_status(app);
	app_message(app, rn->rc != PGSTEP_EXIT_OK && !rn->discarded, "%s", rn->outcome);
	if (rn->group)
		run_group_next(app);
}

/* ---- driving ---------------------------------------------------------------------- */

static void run_confirm_open(struct app *app, size_t index);

/* Whether statement i of the current migration must be confirmed. */
static bool run_needs_confirm(const struct run *rn, struct migration *m, size_t i,
                              struct risk_confirm *c)
{
	const struct risk_stmt *s = run_risk_stmt(rn, m, i);
	if (!s)
		return false;
	risk_stmt_confirm(s, c);
	return c->kind != RISK_CONFIRM_NONE;
}

/* Group applies: a statement confirmed "on the other tenants too" is known
 * by its migration's version and its index. */
static char *run_group_key(const struct migration *m, size_t i)
{
	return xasprintf("%s#%zu", m->version.key, i);
}

static bool run_group_confirmed(const struct run *rn, const struct migration *m, size_t i,
                                const char **typed)
{
	char *key = run_group_key(m, i);
	bool found = false;
	for (size_t k = 0; k < rn->group_ok.n && !found; k++)
		if (strcmp(rn->group_ok.items[k], key) == 0) {
			found = true;
			*typed = rn->group_typed.items[k];
		}
	free(key);
	return found;
}

static void run_journal_answer(struct app *app, bool yes, const char *typed);

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
		if (pos.pause == RUN_PAUSE_FAILED && rn->group && rn->auto_run) {
			/* A group does not wait on one tenant: its failure is rolled
			 * back and recorded, and the group stops or goes on as chosen. */
			free(rn->abandoned);
			rn->abandoned = xasprintf(
			    "%s: %s: statement %zu failed: %s; rolled back", run_tenant(app)->name,
			    migration_label(m), pos.index + 1,
			    pos.error && pos.error->msg ? pos.error->msg : "");
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
			if (!(rn->confirmed && rn->confirmed_for == m &&
			      rn->confirmed_index == pos.index) &&
			    run_needs_confirm(rn, m, pos.index, &c)) {
				if (!run_group_confirmed(rn, m, pos.index, &typed)) {
					run_confirm_open(app, pos.index);
					return;
				}
				/* Confirmed for the whole group: recorded on this tenant too. */
				rn->confirm_index = pos.index;
				run_journal_answer(app, true, typed);
				run_log(rn, "statement %zu confirmed for every tenant of the group",
				        pos.index + 1);
			}
		}
		runner_next(r);
	}
}

/* ---- the confirmation dialog ---------------------------------------------------- */

static const char *lock_consequence(enum risk_lock mode)
{
	switch (mode) {
	case RISK_LOCK_ACCESS_EXCLUSIVE:
		return "blocks every read and write of it until the transaction ends";
	case RISK_LOCK_EXCLUSIVE: return "blocks writes and locking reads; plain reads go on";
	case RISK_LOCK_SHARE_ROW_EXCLUSIVE:
	case RISK_LOCK_SHARE: return "blocks every write until the transaction ends; reads go on";
	case RISK_LOCK_SHARE_UPDATE_EXCLUSIVE:
		return "blocks other schema changes and VACUUM; reads and writes go on";
	default: return "";
	}
}

/* The dialog's text, built again whenever its facts are refreshed. */
static void run_confirm_body(struct app *app)
{
	struct run *rn = app->run;
	struct dialog *d = app->dialog;
	struct migration *m = run_migration(rn);
	if (!d || d->kind != DLG_CONFIRM_STATEMENT || !m)
		return;
	const struct migration_section *sec = run_section(rn, m);
	size_t i = rn->confirm_index;
	const struct statement *st = &sec->stmts.items[i];
	const struct risk_stmt *rs = run_risk_stmt(rn, m, i);
	struct risk_confirm c;
	risk_stmt_confirm(rs, &c);
	doc_clear(&d->body);
	doc_add(&d->body, ROLE_NORMAL, "Statement %zu of %zu (line %d) of %s on %s:", i + 1,
	        sec->stmts.n, st->line, migration_label(m), run_tenant(app)->name);
	doc_add_sql(&d->body, st->sql, st->line);
	doc_add(&d->body, ROLE_NORMAL, "%s", "");
	if (c.lock_relation) {
		struct doc_line *l =
		    doc_add(&d->body, ROLE_NORMAL, "Lock %s on %s: %s", risk_lock_sql_name(c.lock_mode),
		            c.lock_relation, lock_consequence(c.lock_mode));
		doc_span(l, 5, 5 + strlen(risk_lock_sql_name(c.lock_mode)), ROLE_RISK_HIGH);
	}
	const char *rel = c.lock_relation;
	if (!rel && c.finding && c.finding->relation)
		rel = c.finding->relation;
	size_t own = rel ? run_own_lock(rn, m, i, rel) : 0;
	const struct activity_relation *a = rel ? activity_find(&rn->facts, rel) : NULL;
	if (own) {
		doc_add(&d->body, ROLE_DIM,
		        "  this migration holds ACCESS EXCLUSIVE on it since statement %zu: no one "
		        "else can use it",
		        own);
	} else if (rel && a && a->size.exists) {
		char *bytes = facts_bytes(a->size.bytes);
		if (a->size.rows >= 0)
			doc_add(&d->body, ROLE_NORMAL, "  %s: %s, about %lld rows", rel, bytes,
			        (long long)a->size.rows);
		else
			doc_add(&d->body, ROLE_NORMAL, "  %s: %s, rows unknown (not analyzed)", rel,
			        bytes);
		free(bytes);
		if (rn->facts_own)
			doc_add(&d->body, ROLE_DIM, "  this migration already holds %s on it",
			        risk_lock_name(rn->facts_own));
		if (!a->n_sessions)
			doc_add(&d->body, ROLE_OK, "%s",
			        "  no other session holds or waits for a lock on it");
		for (size_t k = 0; k < a->n_sessions; k++) {
			const struct activity_session *s = &a->sessions[k];
			bool blocks = c.lock_mode && activity_session_blocks(s, c.lock_mode);
			struct doc_line *l = doc_add(
			    &d->body, ROLE_NORMAL, "  %s pid %d %s %s %s, %s, transaction %llds: %s",
			    blocks ? "BLOCKS" : "also", s->pid, s->user ? s->user : "?",
			    s->granted ? "holds" : "waits for", risk_lock_name(s->mode),
			    s->state ? s->state : "?", (long long)s->xact_age_s,
			    s->query && *s->query ? s->query : "(no query)");
			if (blocks)
				doc_span(l, 2, 8, ROLE_RISK_HIGH);
		}
	} else if (rel && rn->facts_error) {
		doc_add(&d->body, ROLE_MSG_ERROR, "  facts of %s: %s", rel, rn->facts_error);
	} else if (rel && !rn->watch) {
		doc_add(&d->body, ROLE_DIM, "  no live facts (no second session)");
	}
	doc_add(&d->body, ROLE_NORMAL, "lock_timeout %lld ms, then retried up to %d times",
	        (long long)(m->lock_timeout_ms > 0 ? m->lock_timeout_ms
	                                           : app->eng.cfg->lock_timeout_ms),
	        app->eng.cfg->lock_retries);
	if (rs && c.finding) {
		doc_add(&d->body, ROLE_NORMAL, "%s", "");
		struct doc_line *l =
		    doc_add(&d->body, ROLE_NORMAL, "[%s] %s: %s",
		            risk_word((int)c.finding->severity), c.finding->rule->id,
		            c.finding->message ? c.finding->message : c.finding->rule->title);
		doc_span(l, 1, 1 + strlen(risk_word((int)c.finding->severity)),
		         risk_role((int)c.finding->severity));
		if (c.finding->rule->alternative && *c.finding->rule->alternative)
			doc_add(&d->body, ROLE_OK, "  instead: %s", c.finding->rule->alternative);
	}
	if (c.kind == RISK_CONFIRM_TYPED)
		doc_add(&d->body, ROLE_RISK_HIGH, "%s", "This statement can lose data.");
}

static const char *run_confirm_relation(const struct run *rn, struct migration *m, size_t i)
{
	struct risk_confirm c;
	risk_stmt_confirm(run_risk_stmt(rn, m, i), &c);
	if (c.lock_relation)
		return c.lock_relation;
	return c.finding ? c.finding->relation : NULL;
}

static void run_confirm_open(struct app *app, size_t index)
{
	struct run *rn = app->run;
	struct migration *m = run_migration(rn);
	struct risk_confirm c;
	risk_stmt_confirm(run_risk_stmt(rn, m, index), &c);
	rn->confirm_index = index;
	static const char *const buttons[] = {"Cancel", "Run it",
	                                      "Run it here and on the other tenants"};
	bool others = rn->group && rn->qpos < rn->n_queue;
	char title[200];
	snprintf(title, sizeof title, "Confirm statement %zu on %s", index + 1,
	         run_tenant(app)->name);
	dialog_open(app, DLG_CONFIRM_STATEMENT, title, buttons, others ? 3 : 2,
	            c.kind == RISK_CONFIRM_TYPED ? c.typed_name : NULL);
	run_facts_refresh(app, run_confirm_relation(rn, m, index));
	run_confirm_body(app);
}

/* Record the answer in the event log (inside the open transaction: with the
 * migration when it commits, after it when not). */
static void run_journal_answer(struct app *app, bool yes, const char *typed)
{
	struct run *rn = app->run;
	struct runner *r = job_runner(rn->job);
	struct migration *m = run_migration(rn);
	if (!r || !m)
		return;
	const struct migration_section *sec = run_section(rn, m);
	struct risk_confirm c;
	risk_stmt_confirm(run_risk_stmt(rn, m, rn->confirm_index), &c);
	struct strbuf sb;
	struct json j;
	strbuf_init(&sb);
	json_init(&j, &sb);
	json_begin_object(&j);
	json_kv_int(&j, "statement", (int64_t)rn->confirm_index + 1);
	json_kv_string(&j, "sql", sec->stmts.items[rn->confirm_index].sql);
	if (c.lock_relation) {
		json_kv_string(&j, "lock", risk_lock_sql_name(c.lock_mode));
		json_kv_string(&j, "relation", c.lock_relation);
	}
	if (c.finding)
		json_kv_string(&j, "rule", c.finding->rule->id);
	if (c.kind == RISK_CONFIRM_TYPED)
		json_kv_string(&j, "typed", typed);
	json_end_object(&j);
	char *detail = strbuf_detach(&sb);
	struct pgstep_error err = {0};
	if (!runner_journal(r, yes ? "confirm" : "decline", detail, &err))
		app_message(app, true, "%s", err.msg);
	error_clear(&err);
	free(detail);
}

/* ---- dialogs answered --------------------------------------------------------------- */

static void run_start_group(struct app *app, bool go_on);

void run_dialog_done(struct app *app, enum dialog_kind kind, int button, const char *typed)
{
	struct run *rn = app->run;
	switch (kind) {
	case DLG_CONFIRM_STATEMENT:
		if (!rn || !rn->job)
			return;
		run_journal_answer(app, button >= 1, typed);
		if (button == 2) {
			strvec_push_owned(&rn->group_ok,
			                  run_group_key(run_migration(rn), rn->confirm_index));
			strvec_push(&rn->group_typed, typed);
		}
		if (button == 0) {
			rn->auto_run = false;
			run_log(rn, "statement %zu not run: cancelled at the confirmation",
			        rn->confirm_index + 1);
			app_message(app, false,
			            "statement %zu not run; x asks again, B rolls back the migration",
			            rn->confirm_index + 1);
			app->panes[PANE_DETAIL].dirty = true;
			return;
		}
		rn->confirmed = true;
		rn->confirmed_for = run_migration(rn);
		rn->confirmed_index = rn->confirm_index;
		run_log(rn, "statement %zu confirmed%s%s", rn->confirm_index + 1,
		        *typed ? " by typing " : "", typed);
		runner_next(job_runner(rn->job));
		run_drive(app);
		return;
	case DLG_CONFIRM_PLAN:
		if (!rn || !rn->job)
			return;
		if (button != 1) {
			run_log(rn, "%s", "not started");
			app_message(app, false, "%s", "nothing was run");
			run_free(app);
			screen_mark_all(app);
			return;
		}
		rn->auto_run = true;
		run_drive(app);
		return;
	case DLG_CHOOSE_DOWN:
		if (button == 0 || !rn) {
			run_free(app);
			app_message(app, false, "%s", "nothing was rolled back");
			screen_mark_all(app);
			return;
		}
		rn->jo.use_file = button == 2;
		if (run_open_job(app, app->tenant_sel))
			run_drive(app);
		return;
	case DLG_GROUP:
		if (button == 0 || !rn) {
			run_free(app);
			app_message(app, false, "%s", "nothing was run");
			screen_mark_all(app);
			return;
		}
		run_start_group(app, button == 2);
		return;
	case DLG_QUIT:
		if (button == 1) {
			app->quit = true;
			app->exit_code = 0;
		}
		return;
	}
}

/* ---- group apply --------------------------------------------------------------------- */

static void run_start_group(struct app *app, bool go_on)
{
	struct run *rn = app->run;
	rn->group = true;
	rn->go_on = go_on;
	rn->qpos = 0;
	run_group_next(app);
}

static void run_group_next(struct app *app)
{
	struct run *rn = app->run;
	bool stop = !rn->go_on && rn->n_results && rn->results[rn->n_results - 1].rc != 0;
	while (rn->qpos < rn->n_queue) {
		size_t ti = rn->queue[rn->qpos++];
		if (stop) {
			run_add_result(rn, (struct run_result){
			                       .tenant = ti, .rc = PGSTEP_EXIT_FAILED,
			                       .msg = "not run: stopped at the first failure"});
			continue;
		}
		if (!run_open_job(app, ti)) {
			run_add_result(rn, (struct run_result){
			                       .tenant = ti, .rc = rn->rc, .msg = rn->outcome, .ran = true});
			stop = !rn->go_on;
			continue;
		}
		rn->auto_run = true;
		run_drive(app);
		return;
	}
	size_t ok = 0;
	for (size_t i = 0; i < rn->n_results; i++)
		ok += rn->results[i].rc == 0;
	free(rn->outcome);
	rn->outcome = xasprintf("group apply: %zu of %zu tenants succeeded", ok, rn->n_results);
	rn->finished = true;
	rn->rc = ok == rn->n_results ? PGSTEP_EXIT_OK : PGSTEP_EXIT_FAILED;
	rn->discarded = false;
	app_message(app, ok < rn->n_results, "%s", rn->outcome);
	run_log(rn, "%s", rn->outcome);
	app->panes[PANE_DETAIL].dirty = true;
}

/* ---- actions ------------------------------------------------------------------------- */

/* The selected tenant's entry for each migration is known (fetched). While
 * it is being read (just after start, or after a run) the action waits for
 * it and runs when it is in, rather than asking to be pressed again. */
static bool run_status_known(struct app *app, enum action a, const char *arg)
{
	const char *why = NULL;
	if (app_fetched(app, &why))
		return true;
	if (why && strcmp(why, "loading") == 0) {
		app->deferred = a;
		free(app->deferred_arg);
		app->deferred_arg = arg ? xstrdup(arg) : NULL;
		app_message(app, false, "reading the state of %s%s", app_tenant(app)->name,
		            glyph->ellipsis);
		return false;
	}
	app_message(app, true, "the state of %s cannot be read: %s", app_tenant(app)->name,
	            why ? why : "unknown");
	return false;
}

static const struct mig_status *run_status_of(struct app *app, const struct migration *m)
{
	for (size_t i = 0; i < app->n_lookup; i++)
		if (app_set_item(app, i) == m)
			return app->lookup[i];
	return NULL;
}

static bool pending_state(enum mstate s)
{
	return s == MSTATE_PENDING || s == MSTATE_FAILED || s == MSTATE_ROLLED_BACK;
}

/* The first pending migration of the selected tenant, or NULL. */
static struct migration *run_next_pending(struct app *app)
{
	for (size_t i = 0; i < app->n_lookup; i++) {
		struct migration *m = app_set_item(app, i);
		if (!m->archived && app->lookup[i] && pending_state(app->lookup[i]->state))
			return m;
	}
	return NULL;
}

static struct migration *run_target(struct app *app, const char *arg)
{
	if (arg && *arg) {
		struct migration *m = migset_find(app->eng.set, arg);
		if (!m)
			app_message(app, true, "no migration %s", arg);
		return m;
	}
	return app_selected_migration(app);
}

static bool run_may_start(struct app *app)
{
	if (run_busy(app)) {
		app_message(app, true, "a run is open on %s: finish it first (B rolls it back)",
		            run_tenant(app)->name);
		return false;
	}
	return true;
}

/* The plan of the job just opened, for the one confirm of apply and down-to. */
static void run_plan_dialog(struct app *app, const char *verb)
{
	struct run *rn = app->run;
	size_t n = job_count(rn->job);
	char title[200];
	snprintf(title, sizeof title, "%s %zu migration%s %s %s?", verb, n, n == 1 ? "" : "s",
	         rn->jo.kind == JOB_UP ? "to" : "of", run_tenant(app)->name);
	static const char *const apply[] = {"Cancel", "Apply"};
	static const char *const back[] = {"Cancel", "Roll back"};
	struct dialog *d = dialog_open(app, DLG_CONFIRM_PLAN, title,
	                               rn->jo.kind == JOB_UP ? apply : back, 2, NULL);
	for (size_t i = 0; i < n; i++) {
		bool stored = false;
		struct migration *m = job_migration(rn->job, i, &stored);
		struct risk_file_report rep;
		risk_file_report_init(&rep);
		struct risk_options ro;
		plan_risk_options(&app->eng, run_tenant(app), NULL, NULL, &ro);
		risk_analyze_migration(m, &ro, &rep);
		int worst = risk_report_worst(rn->jo.kind == JOB_UP ? &rep.up : &rep.down);
		const struct migration_section *sec = run_section(rn, m);
		struct doc_line *l =
		    doc_add(&d->body, ROLE_NORMAL, "%2zu. %-40s %-6s %zu statement%s%s", i + 1,
		            migration_label(m), risk_word(worst), sec->stmts.n,
		            sec->stmts.n == 1 ? "" : "s", stored ? ", down stored at apply time" : "");
		doc_span(l, 45, 51, risk_role(worst));
		risk_file_report_clear(&rep);
	}
	doc_add(&d->body, ROLE_NORMAL, "%s", "");
	doc_add(&d->body, ROLE_DIM, "%s",
	        "Statements that lock existing tables, or can lose data, are confirmed one by one.");
}

static void run_apply(struct app *app, enum action a, const char *arg)
{
	if (!run_may_start(app) || !run_status_known(app, a, arg))
		return;
	struct migration *target = NULL;
	if (a == ACT_APPLY) {
		target = run_next_pending(app);
		if (!target) {
			app_message(app, false, "%s has nothing pending", app_tenant(app)->name);
			return;
		}
	} else if (!(target = run_target(app, arg))) {
		if (!arg || !*arg)
			app_message(app, true, "%s", "select a migration (or :apply-to VERSION)");
		return;
	}
	if (a == ACT_STEP && !(arg && *arg)) {
		const struct mig_status *ms = run_status_of(app, target);
		if (!ms || !pending_state(ms->state))
			target = run_next_pending(app);
		if (!target) {
			app_message(app, false, "%s has nothing pending", app_tenant(app)->name);
			return;
		}
	}
	struct run *rn = run_new(app, JOB_UP, target->version.text,
	                         a == ACT_STEP ? "step" : "apply");
	if (!run_open_job(app, app->tenant_sel))
		return;
	if (job_count(rn->job) == 0) {
		app_message(app, false, "nothing to apply up to %s", migration_label(target));
		run_free(app);
		return;
	}
	if (a == ACT_STEP)
		run_drive(app);
	else
		run_plan_dialog(app, "Apply");
}

static void run_down(struct app *app, enum action a, const char *arg)
{
	if (!run_may_start(app) || !run_status_known(app, a, arg))
		return;
	struct migration *m = run_target(app, arg);
	if (!m) {
		if (!arg || !*arg)
			app_message(app, true, "%s", "select a migration (or :down-to VERSION)");
		return;
	}
	if (a == ACT_DOWN_TO) {
		struct run *rn = run_new(app, JOB_DOWN, m->version.text, "down-to");
		if (!run_open_job(app, app->tenant_sel))
			return;
		if (job_count(rn->job) == 0) {
			app_message(app, false, "nothing applied after %s", migration_label(m));
			run_free(app);
			return;
		}
		run_plan_dialog(app, "Roll back");
		return;
	}
	const struct mig_status *ms = run_status_of(app, m);
	if (!ms || ms->state != MSTATE_APPLIED) {
		app_message(app, true, "%s is not applied on %s", migration_label(m),
		            app_tenant(app)->name);
		return;
	}
	/* The selected one and every one applied after it, newest first. */
	int steps = 0;
	for (size_t i = 0; i < app->n_lookup; i++)
		if (app->lookup[i] && app->lookup[i]->state == MSTATE_APPLIED &&
		    version_cmp(&app_set_item(app, i)->version, &m->version) >= 0)
			steps++;
	struct run *rn = run_new(app, JOB_DOWN, NULL, "down");
	rn->jo.steps = steps;
	if (!ms->checksum_ok && ms->row && ms->row->down_sql) {
		static const char *const buttons[] = {"Cancel", "Stored at apply time", "The file's"};
		char title[200];
		snprintf(title, sizeof title, "%s changed since it was applied: which down?",
		         migration_label(m));
		struct dialog *d = dialog_open(app, DLG_CHOOSE_DOWN, title, buttons, 3, NULL);
		doc_add(&d->body, ROLE_HEADING, "%s", "-- down stored at apply time:");
		doc_add_sql(&d->body, ms->row->down_sql, 1);
		doc_add(&d->body, ROLE_HEADING, "-- down in the file (%s):",
		        m->down.path ? m->down.path : "");
		if (m->down.text)
			doc_add_sql(&d->body, m->down.text, m->down.first_line);
		else
			doc_add(&d->body, ROLE_RISK_HIGH, "%s", "   (none)");
		return;
	}
	if (run_open_job(app, app->tenant_sel))
		run_drive(app);
}

static void run_resume(struct app *app)
{
	if (!run_may_start(app) || !run_status_known(app, ACT_RESUME, NULL))
		return;
	struct migration *dirty = NULL;
	for (size_t i = 0; i < app->n_lookup && !dirty; i++)
		if (app->lookup[i] && app->lookup[i]->state == MSTATE_DIRTY)
			dirty = app_set_item(app, i);
	if (!dirty) {
		app_message(app, false, "%s has no dirty migration", app_tenant(app)->name);
		return;
	}
	struct run *rn = run_new(app, JOB_UP, dirty->version.text, "resume");
	rn->jo.resume = true;
	if (run_open_job(app, app->tenant_sel))
		run_drive(app);
}

static void run_repair(struct app *app, const char *arg)
{
	struct migration *m = app_selected_migration(app);
	size_t n = strcspn(arg, " ");
	bool applied = n == 7 && strncmp(arg, "applied", 7) == 0;
	bool back = n == 11 && strncmp(arg, "rolled_back", 11) == 0;
	const char *reason = arg + n;
	while (*reason == ' ')
		reason++;
	if ((!applied && !back) || !*reason) {
		app_message(app, true, "%s",
		            "usage: :repair applied|rolled_back REASON (the reason is recorded)");
		return;
	}
	if (!run_may_start(app))
		return;
	struct pgstep_error err = {0};
	enum pgstep_exit rc =
	    ops_repair(&app->eng, app_tenant(app), m->version.text, reason, applied, &err);
	if (rc == PGSTEP_EXIT_OK)
		app_message(app, false, "%s on %s marked %s: %s", migration_label(m),
		            app_tenant(app)->name, applied ? "applied" : "rolled back", reason);
	else
		app_message(app, true, "%s", err.msg);
	error_clear(&err);
	app_reload_status(app);
}

static void run_mark(struct app *app, const char *arg)
{
	size_t n = app->eng.tenants.n;
	if (!app->marked)
		app->marked = xcalloc(n ? n : 1, sizeof *app->marked);
	if (!arg || !*arg) {
		app->marked[app->tenant_sel] = !app->marked[app->tenant_sel];
	} else if (strcmp(arg, "none") == 0) {
		memset(app->marked, 0, n * sizeof *app->marked);
	} else {
		const char *eq = strchr(arg, '=');
		if (!eq || eq == arg) {
			app_message(app, true, "%s", "usage: :mark [key=value | none]");
			return;
		}
		char *key = xstrndup(arg, (size_t)(eq - arg));
		for (size_t i = 0; i < n; i++) {
			const char *v = tenant_label(app->eng.tenants.items[i], key);
			if (v && strcmp(v, eq + 1) == 0)
				app->marked[i] = true;
		}
		free(key);
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += app->marked[i];
	app_message(app, false, "%zu tenant%s marked for a group apply (M applies)", k,
	            k == 1 ? "" : "s");
	app->panes[PANE_TENANTS].dirty = true;
}

static void run_group(struct app *app, const char *arg)
{
	if (!run_may_start(app))
		return;
	size_t n = app->eng.tenants.n, k = 0;
	for (size_t i = 0; app->marked && i < n; i++)
		k += app->marked[i];
	if (!k) {
		app_message(app, true, "%s", "no tenant is marked: m marks the selected one");
		return;
	}
	struct migration *m = NULL;
	if (arg && *arg && !(m = run_target(app, arg)))
		return;
	struct run *rn = run_new(app, JOB_UP, m ? m->version.text : NULL, "group apply");
	rn->queue = xcalloc(k, sizeof *rn->queue);
	for (size_t i = 0; i < n; i++)
		if (app->marked[i])
			rn->queue[rn->n_queue++] = i;
	char title[200];
	snprintf(title, sizeof title, "Apply %s%s to %zu tenant%s, one after another?",
	         m ? "up to " : "every pending migration", m ? migration_label(m) : "", k,
	         k == 1 ? "" : "s");
	static const char *const buttons[] = {"Cancel", "Stop at the first failure",
	                                      "Go on after a failure"};
	struct dialog *d = dialog_open(app, DLG_GROUP, title, buttons, 3, NULL);
	for (size_t i = 0; i < rn->n_queue; i++) {
		const struct tenant_status *ts = app_tenant_status(app, rn->queue[i]);
		doc_add(&d->body, ROLE_NORMAL, "  %s  %s", app->eng.tenants.items[rn->queue[i]]->name,
		        ts ? tstate_name(ts->state) : "loading");
	}
}

void run_dispatch(struct app *app, enum action a, const char *arg)
{
	struct run *rn = app->run;
	struct runner *r = rn && rn->job ? job_runner(rn->job) : NULL;
	struct run_position pos = {0};
	if (r)
		runner_position(r, &pos);
	struct pgstep_error err = {0};
	switch (a) {
	case ACT_APPLY:
	case ACT_APPLY_TO:
	case ACT_STEP: run_apply(app, a, arg); return;
	case ACT_DOWN_ONE:
	case ACT_DOWN_TO: run_down(app, a, arg); return;
	case ACT_RESUME: run_resume(app); return;
	case ACT_REPAIR: run_repair(app, arg); return;
	case ACT_MARK: run_mark(app, arg); return;
	case ACT_GROUP_APPLY: run_group(app, arg); return;
	case ACT_VIEW:
		app->show_run = !app->show_run;
		app_invalidate_detail(app);
		app->hint_dirty = true;
		return;
	case ACT_CLOSE:
		if (run_busy(app)) {
			app_message(app, true, "%s", "the run is still open: B rolls it back");
			return;
		}
		run_free(app);
		app_invalidate_detail(app);
		screen_mark_all(app);
		return;
	default: break;
	}
	app->show_run = true;
	app->panes[PANE_DETAIL].dirty = true;
	if (!r) {
		app_message(app, true, "%s", rn && rn->finished ? "the run has ended (Esc closes it)"
		                                                : "nothing is running");
		return;
	}
	switch (a) {
	case ACT_RUN_NEXT:
	case ACT_RUN_ALL:
		if (pos.pause == RUN_PAUSE_NONE) {
			app_message(app, true, "%s", "a statement is running (C cancels it)");
			return;
		}
		rn->auto_run = a == ACT_RUN_ALL;
		if (pos.pause == RUN_PAUSE_STATEMENT || pos.pause == RUN_PAUSE_FAILED) {
			struct migration *m = run_migration(rn);
			struct risk_confirm c;
			if (!(rn->confirmed && rn->confirmed_for == m && rn->confirmed_index == pos.index) &&
			    run_needs_confirm(rn, m, pos.index, &c)) {
				run_confirm_open(app, pos.index);
				return;
			}
		}
		runner_next(r);
		run_drive(app);
		return;
	case ACT_COMMIT:
		if (pos.pause != RUN_PAUSE_COMMIT) {
			app_message(app, true, "%s",
			            pos.pause == RUN_PAUSE_NONE
			                ? "a statement is running"
			                : "statements are left: x runs the next, R runs them all and commits");
			return;
		}
		runner_next(r);
		run_drive(app);
		return;
	case ACT_UNDO:
		if (!runner_undo(r, &err))
			app_message(app, true, "%s", err.msg);
		error_clear(&err);
		run_drive(app);
		return;
	case ACT_ROLLBACK:
		rn->auto_run = false;
		rn->discarded = true;
		rn->discarded_dirty = runner_segmented(r) && pos.index > 0;
		runner_discard(r);
		run_drive(app);
		return;
	case ACT_CANCEL:
		if (!run_interrupt(app))
			app_message(app, true, "%s", "no statement is running");
		return;
	default: return;
	}
}

bool run_interrupt(struct app *app)
{
	struct run *rn = app->run;
	struct runner *r = rn && rn->job ? job_runner(rn->job) : NULL;
	if (!r)
		return false;
	struct run_position pos;
	runner_position(r, &pos);
	if (!pos.in_flight && !pos.backing_off) {
		app_message(app, false, "%s",
		            "nothing is running: x runs the next statement, B rolls back");
		return true;
	}
	rn->auto_run = false;
	runner_cancel(r);
	app_message(app, false, "cancelling statement %zu%s", pos.index + 1, glyph->ellipsis);
	return true;
}

void run_quit(struct app *app)
{
	if (!run_busy(app)) {
		app->quit = true;
		app->exit_code = 0;
		return;
	}
	struct run *rn = app->run;
	static const char *const buttons[] = {"Cancel", "Roll back and quit"};
	struct dialog *d =
	    dialog_open(app, DLG_QUIT, "A migration is open: quit?", buttons, 2, NULL);
	struct runner *r = job_runner(rn->job);
	struct run_position pos = {0};
	if (r)
		runner_position(r, &pos);
	struct migration *m = run_migration(rn);
	doc_add(&d->body, ROLE_NORMAL, "%s on %s: statement %zu of %zu%s.",
	        m ? migration_label(m) : "", run_tenant(app)->name, pos.index + (pos.index < pos.total),
	        pos.total, pos.in_transaction ? ", its transaction is open" : "");
	doc_add(&d->body, ROLE_NORMAL, "%s",
	        "Quitting rolls back what is open and records it in the event log.");
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
	if (rn->watch && rn->watch_busy && n < cap)
		fds[n++] = (struct pollfd){.fd = session_socket(rn->watch), .events = POLLIN};
	if (app->dialog && app->dialog->kind == DLG_CONFIRM_STATEMENT) {
		int64_t left = rn->facts_next_ms - run_now_ms();
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
		if (rn->watch && rn->watch_busy && fds[i].fd == session_socket(rn->watch) &&
		    fds[i].revents)
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
		if (pos.in_flight || pos.backing_off)
			app->panes[PANE_DETAIL].dirty = true;
	}
	if (app->dialog && app->dialog->kind == DLG_CONFIRM_STATEMENT &&
	    run_now_ms() >= rn->facts_next_ms) {
		struct migration *m = run_migration(rn);
		const char *rel = m ? run_confirm_relation(rn, m, rn->confirm_index) : NULL;
		if (rel && !run_own_lock(rn, m, rn->confirm_index, rel))
			run_facts_refresh(app, rel);
		else
			rn->facts_next_ms = run_now_ms() + WATCH_FACTS_EVERY_MS;
		run_confirm_body(app);
	}
}
