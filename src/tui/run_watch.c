/* run_watch: the run's second, read-only session on the tenant ("watch"):
 * who a waiting statement waits for, and the confirmation's facts about a
 * relation (size, rows, who holds or waits for a lock on it). It looks and
 * never queues behind a lock for long. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/catalog.h"
#include "pgstep/plan_risk.h"
#include "pgstep/session.h"
#include "pgstep/xalloc.h"
#include "run_int.h"
#include "tui_int.h"

#define WATCH_LOCK_TIMEOUT_MS      300
#define WATCH_STATEMENT_TIMEOUT_MS 3000

void run_watch_open(struct app *app)
{
	struct run *rn = app->run;
	struct pgstep_error err = {0};
	rn->watch.session = plan_risk_session(run_tenant(app), WATCH_LOCK_TIMEOUT_MS,
	                                      WATCH_STATEMENT_TIMEOUT_MS, &err);
	if (rn->watch.session) {
		rn->watch.cat = catalog_new(rn->watch.session, run_tenant(app)->schema);
		rn->watch.w = watch_new(rn->watch.session);
	} else
		run_log(rn, "no second session for live facts: %s", err.msg);
	error_clear(&err);
}

/* Wait for the watch session's query in flight (short: it has timeouts). */
void run_watch_drain(struct run *rn)
{
	if (rn->watch.w)
		watch_drain(rn->watch.w);
}

void run_blockers_clear(struct run *rn)
{
	if (rn->watch.w)
		watch_forget_blockers(rn->watch.w);
}

void run_last_blocker_clear(struct run *rn)
{
	if (rn->has_last_blocker)
		activity_session_clear(&rn->last_blocker);
	rn->has_last_blocker = false;
}

/* The run's transaction ended: its locks and the guard start afresh. */
void run_watch_reset(struct run *rn)
{
	if (rn->watch.w)
		watch_reset(rn->watch.w);
	rn->watch.past_limit = false;
}

/* While a statement runs, or a transaction is open between statements: ask
 * every so often who we wait for, what we hold and who waits for us. */
void run_watch_tick(struct run *rn, const struct run_position *pos)
{
	if (!rn->watch.w || !(pos->in_flight || pos->backing_off || pos->in_transaction))
		return;
	struct pgstep_error err = {0};
	watch_tick(rn->watch.w, job_backend_pid(rn->job), rn->watch.stmt_started_ms, &err);
	error_clear(&err);
}

void run_watch_read(struct app *app)
{
	struct run *rn = app->run;
	if (!watch_read(rn->watch.w))
		return;
	app->panes[PANE_DETAIL].dirty = true;
	const struct watch_state *w = watch_state(rn->watch.w);
	struct runner *r = rn->job ? job_runner(rn->job) : NULL;
	if (r && w->rows.n_blockers) { /* for the lock-wait event, if it comes */
		runner_note_blockers(r, w->rows.blockers, w->rows.n_blockers);
		run_last_blocker_clear(rn);
		activity_session_copy(&rn->last_blocker, &w->rows.blockers[0]);
		rn->has_last_blocker = true;
	}
	/* Optional: roll back on our own once someone has waited long enough
	 * behind us while the DBA reads (never under a running statement: C
	 * and the lock_timeout handle that). */
	int64_t auto_ms = app->eng.cfg ? app->eng.cfg->hold_rollback_after_ms : 0;
	if (auto_ms && r && w->held_since_ms && w->rows.n_waiters &&
	    w->rows.waiters[0].state_age_s * 1000 >= auto_ms) {
		struct run_position pos;
		runner_position(r, &pos);
		if (!pos.in_flight && pos.pause != RUN_PAUSE_NONE && pos.in_transaction) {
			const struct activity_session *s = &w->rows.waiters[0];
			run_log(rn,
			        "rolled back on its own: pid %d (%s) waited %llds behind our locks "
			        "(hold_rollback_after)",
			        s->pid, s->application ? s->application : "",
			        (long long)s->state_age_s);
			app_message(app, true,
			            "rolled back: pid %d waited %llds behind our locks "
			            "(hold_rollback_after)",
			            s->pid, (long long)s->state_age_s);
			struct migration *m = run_migration(rn);
			free(rn->abandoned); /* the outcome: why, not "on request" */
			rn->abandoned = xasprintf(
			    "%s on %s: rolled back on its own: pid %d (%s) waited %llds behind our "
			    "locks "
			    "(hold_rollback_after)",
			    m ? migration_label(m) : "", run_tenant(app)->name, s->pid,
			    s->application ? s->application : "", (long long)s->state_age_s);
			rn->auto_run = false;
			rn->discarded = true;
			rn->discarded_dirty = runner_segmented(r) && pos.index > 0;
			runner_discard(r);
			run_drive(app);
			return;
		}
	}
	/* The guard: said once, loudly, when the hold passes hold_limit. */
	const struct watch_state *ws = watch_state(rn->watch.w);
	int64_t limit = app->eng.cfg ? app->eng.cfg->hold_limit_ms : 0;
	if (limit && ws->held_since_ms && !rn->watch.past_limit &&
	    watch_now_ms() - ws->held_since_ms > limit) {
		rn->watch.past_limit = true;
		run_log(rn, "locks held past hold_limit (%lld ms): %zu session%s queued behind us",
		        (long long)limit, ws->rows.n_waiters, ws->rows.n_waiters == 1 ? "" : "s");
		app_message(app, true,
		            "locks held longer than hold_limit %llds: B rolls back, c commits",
		            (long long)(limit / 1000));
	}
}

/* One relation's facts: size and rows, and who holds or waits for a lock on
 * it, leaving the job's own session out (what it holds is said apart). */
static void run_facts_one(struct run *rn, const char *rel)
{
	struct activity_relation *a = activity_add(&rn->watch.facts, rel);
	size_t at = rn->watch.facts.n_rels - 1;
	rn->watch.facts_own =
	    xrealloc(rn->watch.facts_own, rn->watch.facts.n_rels * sizeof *rn->watch.facts_own);
	rn->watch.facts_own[at] = RISK_LOCK_NONE;
	uint32_t oid = 0;
	struct pgstep_error err = {0};
	if (!catalog_relation(rn->watch.cat, rel, &a->size) ||
	    !catalog_oid(rn->watch.cat, rel, &oid)) {
		if (catalog_error(rn->watch.cat) && !rn->watch.facts_error)
			rn->watch.facts_error = xstrdup(catalog_error(rn->watch.cat));
		return;
	}
	if (!activity_relation_load(rn->watch.session, oid, a, &err) && !rn->watch.facts_error)
		rn->watch.facts_error = xstrdup(err.msg);
	error_clear(&err);
	int self = rn->job ? job_backend_pid(rn->job) : 0;
	size_t k = 0;
	for (size_t i = 0; i < a->n_sessions; i++) {
		if (a->sessions[i].pid == self && self) {
			if (a->sessions[i].mode > rn->watch.facts_own[at])
				rn->watch.facts_own[at] = a->sessions[i].mode;
			activity_session_clear(&a->sessions[i]);
			continue;
		}
		a->sessions[k++] = a->sessions[i];
	}
	a->n_sessions = k;
}

/* The dialog's facts about every relation in rels. Blocking, but short (the
 * watch session's timeouts). */
void run_facts_refresh(struct app *app, const struct strvec *rels)
{
	struct run *rn = app->run;
	activity_facts_clear(&rn->watch.facts);
	activity_facts_init(&rn->watch.facts);
	free(rn->watch.facts_own);
	rn->watch.facts_own = NULL;
	free(rn->watch.facts_error);
	rn->watch.facts_error = NULL;
	rn->watch.facts_next_ms = run_now_ms() + WATCH_FACTS_EVERY_MS;
	if (!rn->watch.session || !rels->n)
		return;
	run_watch_drain(rn);
	for (size_t i = 0; i < rels->n; i++)
		run_facts_one(rn, rels->items[i]);
}
