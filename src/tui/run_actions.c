/* run_actions: the actions that start a run (apply, step, down, resume, a
 * group apply and its marks, repair) and those that steer the open one
 * (next, all, commit, undo, roll back, cancel, quit). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/job.h"
#include "pgstep/json.h"
#include "pgstep/strbuf.h"
#include "pgstep/plan_risk.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"
#include "run_int.h"
#include "tui_int.h"

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
		struct migration *m = migset_resolve(app->eng.set, arg);
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

/* The plan of the job just opened, for the one confirm of apply, down-to and
 * a step that takes in more than one migration. */
static void run_plan_dialog(struct app *app, const char *verb)
{
	struct run *rn = app->run;
	size_t n = job_count(rn->job);
	bool step = strcmp(rn->title, "step") == 0;
	char title[200];
	snprintf(title, sizeof title, "%s %zu migration%s %s %s?", verb, n, n == 1 ? "" : "s",
	         rn->jo.kind == JOB_UP ? "to" : "of", run_tenant(app)->name);
	static const char *const apply[] = {"Cancel", "Apply"};
	static const char *const stepb[] = {"Cancel", "Step"};
	static const char *const back[] = {"Cancel", "Roll back"};
	struct dialog *d = dialog_open(app, DLG_CONFIRM_PLAN, title,
	                               rn->jo.kind != JOB_UP ? back
	                               : step                ? stepb
	                                                     : apply,
	                               2, NULL);
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
		struct doc_line *l = doc_add(
		    &d->body, ROLE_NORMAL, "%2zu. %-40s %-6s %zu statement%s%s", i + 1,
		    migration_label(m), risk_word(worst), sec->stmts.n,
		    sec->stmts.n == 1 ? "" : "s", stored ? ", down stored at apply time" : "");
		doc_span(l, 45, 51, risk_role(worst));
		risk_file_report_clear(&rep);
	}
	doc_add(&d->body, ROLE_NORMAL, "%s", "");
	doc_add(&d->body, ROLE_DIM, "%s",
	        step ? "Each statement waits for x; the migrations before the selected one are "
	               "pending and run first."
	             : "Statements that lock existing tables, or can lose data, are confirmed "
	               "one by one.");
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
	struct run *rn =
	    run_new(app, JOB_UP, target->version.text, a == ACT_STEP ? "step" : "apply");
	if (!run_open_job(app, app->tenant_sel))
		return;
	if (job_count(rn->job) == 0) {
		app_message(app, false, "nothing to apply up to %s", migration_label(target));
		run_free(app);
		return;
	}
	/* A step to a later migration runs every pending one before it: the
	 * same plan as apply, so the run is never wider than the DBA saw. */
	if (a == ACT_STEP && job_count(rn->job) == 1)
		run_drive(app);
	else
		run_plan_dialog(app, a == ACT_STEP ? "Step through" : "Apply");
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
		static const char *const buttons[] = {"Cancel", "Stored at apply time",
		                                      "The file's"};
		char title[200];
		snprintf(title, sizeof title, "%s changed since it was applied: which down?",
		         migration_label(m));
		struct dialog *d = dialog_open(app, DLG_CHOOSE_DOWN, title, buttons, 3, NULL);
		doc_add(&d->body, ROLE_HEADING, "%s", "-- down stored at apply time:");
		doc_add_sql(&d->body, ms->row->down_sql, 1);
		doc_add(&d->body, ROLE_HEADING,
		        "-- down in the file (%s):", m->down.path ? m->down.path : "");
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
	if (run_open_job(app, app->tenant_sel)) {
		run_drive(app);
		return;
	}
	if (!job_refused_invalid_index(rn->outcome))
		return;
	/* Dropping an index is the DBA's call: ask, Cancel first. */
	static const char *const buttons[] = {"Cancel", "Drop it and build it again"};
	struct dialog *d = dialog_open(app, DLG_REBUILD_INDEX, "Resume: an index was left INVALID",
	                               buttons, 2, NULL);
	doc_add(&d->body, ROLE_NORMAL, "%s", rn->outcome);
	doc_add(&d->body, ROLE_NORMAL, "%s", "");
	doc_add(&d->body, ROLE_NORMAL, "%s",
	        "An INVALID index is not used by queries but is still updated by every write. "
	        "Resuming drops it (DROP INDEX CONCURRENTLY) and runs the statement again.");
}

/* :repair ARG: "applied|rolled_back REASON"; *applied and *reason from it. */
static bool repair_args(const char *arg, bool *applied, const char **reason)
{
	size_t n = strcspn(arg, " ");
	*applied = n == 7 && strncmp(arg, "applied", 7) == 0;
	bool back = n == 11 && strncmp(arg, "rolled_back", 11) == 0;
	*reason = arg + n;
	while (**reason == ' ')
		(*reason)++;
	return (*applied || back) && **reason;
}

/* A repair rewrites the history of a migration: the dialog says what will
 * be recorded before anything is. */
static void run_repair(struct app *app, const char *arg)
{
	struct migration *m = app_selected_migration(app);
	bool applied;
	const char *reason;
	if (!repair_args(arg, &applied, &reason)) {
		app_message(app, true, "%s",
		            "usage: :repair applied|rolled_back REASON (the reason is recorded)");
		return;
	}
	if (!run_may_start(app))
		return;
	free(app->repair_arg);
	app->repair_arg = xstrdup(arg);
	static const char *const buttons[] = {"Cancel", "Record"};
	struct dialog *d = dialog_open(app, DLG_REPAIR, "Record a repair?", buttons, 2, NULL);
	doc_add(&d->body, ROLE_NORMAL, "%s on %s will be recorded %s, with the reason: %s",
	        migration_label(m), app_tenant(app)->name, applied ? "applied" : "rolled back",
	        reason);
	doc_add(&d->body, ROLE_NORMAL, "%s",
	        "Nothing is run on the database: the history says what you found, in a repair "
	        "event with your name.");
}

void run_repair_answer(struct app *app, int button)
{
	char *arg = app->repair_arg;
	app->repair_arg = NULL;
	struct migration *m = app_selected_migration(app);
	bool applied;
	const char *reason;
	if (button != 1 || !arg || !m || !repair_args(arg, &applied, &reason)) {
		app_message(app, false, "%s", "nothing was recorded");
		free(arg);
		return;
	}
	struct pgstep_error err = {0};
	enum pgstep_exit rc =
	    ops_repair(&app->eng, app_tenant(app), m->version.text, reason, applied, &err);
	if (rc == PGSTEP_EXIT_OK)
		app_message(app, false, "%s on %s marked %s: %s", migration_label(m),
		            app_tenant(app)->name, applied ? "applied" : "rolled back", reason);
	else
		app_message(app, true, "%s", err.msg);
	error_clear(&err);
	free(arg);
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
	rn->group.queue = xcalloc(k, sizeof *rn->group.queue);
	for (size_t i = 0; i < n; i++)
		if (app->marked[i])
			rn->group.queue[rn->group.n_queue++] = i;
	char title[200];
	snprintf(title, sizeof title, "Apply %s%s to %zu tenant%s, one after another?",
	         m ? "up to " : "every pending migration", m ? migration_label(m) : "", k,
	         k == 1 ? "" : "s");
	static const char *const buttons[] = {"Cancel", "Stop at the first failure",
	                                      "Go on after a failure"};
	struct dialog *d = dialog_open(app, DLG_GROUP, title, buttons, 3, NULL);
	int w = 0;
	for (size_t i = 0; i < rn->group.n_queue; i++) {
		int tw = (int)text_width(app->eng.tenants.items[rn->group.queue[i]]->name);
		w = tw > w ? tw : w;
	}
	/* What each tenant is asked to do, as its badge counts it. */
	for (size_t i = 0; i < rn->group.n_queue; i++) {
		const char *name = app->eng.tenants.items[rn->group.queue[i]]->name;
		const struct tenant_status *ts = app_tenant_status(app, rn->group.queue[i]);
		if (!ts || ts->state == TSTATE_UNREACHABLE) {
			doc_add(&d->body, ROLE_NORMAL, "  %s%*s  %s", name,
			        w - (int)text_width(name), "",
			        ts ? "unreachable" : "state still loading");
			continue;
		}
		doc_add(&d->body, ROLE_NORMAL, "  %s%*s  %-7s  %d to apply, %d applied%s", name,
		        w - (int)text_width(name), "", tenant_state_word(ts), ts->pending,
		        ts->applied, ts->changed ? ", files changed since" : "");
	}
}

static void run_blocker_dialog(struct app *app, const struct run_position *pos);

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
		app_message(app, true, "%s",
		            rn && rn->finished ? "the run has ended (Esc closes it)"
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
		/* x runs a statement; with none left, it must not commit. */
		if (a == ACT_RUN_NEXT && pos.pause == RUN_PAUSE_COMMIT) {
			app_message(app, true, "%s", "all statements ran: c commits, B rolls back");
			return;
		}
		rn->auto_run = a == ACT_RUN_ALL;
		if (pos.pause == RUN_PAUSE_STATEMENT || pos.pause == RUN_PAUSE_FAILED) {
			struct migration *m = run_migration(rn);
			struct risk_confirm c;
			if (!(rn->confirm.given && rn->confirm.given_for == m &&
			      rn->confirm.given_index == pos.index) &&
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
			                : "statements are left: x runs the next, R runs them all "
			                  "and commits, S skips one (with a reason)");
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
	case ACT_SKIP: {
		size_t at = pos.index;
		rn->auto_run = false;
		if (!runner_skip(r, arg, &err)) {
			app_message(app, true, "%s", err.msg);
			error_clear(&err);
			return;
		}
		run_log(rn, "statement %zu skipped: %s", at + 1, arg);
		app_message(app, false, "statement %zu skipped (recorded with the reason)", at + 1);
		rn->confirm.given = false;
		run_drive(app);
		return;
	}
	case ACT_ROLLBACK:
		rn->auto_run = false;
		rn->discarded = true;
		rn->discarded_dirty = runner_segmented(r) && pos.index > 0;
		runner_discard(r);
		run_drive(app);
		return;
	case ACT_BLOCKER: run_blocker_dialog(app, &pos); return;
	case ACT_CANCEL:
		if (!run_interrupt(app))
			app_message(app, true, "%s", "no statement is running");
		return;
	default: return;
	}
}

/* K: the session the waiting statement waits for (the first: the oldest
 * transaction), named in full before anything is sent to it. */
static void run_blocker_dialog(struct app *app, const struct run_position *pos)
{
	struct run *rn = app->run;
	if (!(pos->in_flight || pos->backing_off) || !rn->has_last_blocker) {
		app_message(app, true, "%s",
		            "no statement waits for another session (K acts on the one it waits "
		            "for)");
		return;
	}
	const struct activity_session *s = &rn->last_blocker;
	rn->blocker_pid = s->pid;
	struct strbuf sb;
	struct json j;
	strbuf_init(&sb);
	json_init(&j, &sb);
	json_begin_object(&j);
	json_kv_int(&j, "pid", s->pid);
	json_kv_string(&j, "user", s->user);
	json_kv_string(&j, "application", s->application);
	json_kv_string(&j, "client", s->client);
	json_kv_string(&j, "state", s->state);
	json_kv_string(&j, "lock", s->mode ? risk_lock_name(s->mode) : NULL);
	json_kv_string(&j, "relation", s->relation);
	json_kv_string(&j, "query", s->query);
	json_end_object(&j);
	free(rn->blocker_detail);
	rn->blocker_detail = strbuf_detach(&sb);
	static const char *const buttons[] = {"Leave it", "Cancel its query",
	                                      "Terminate its session"};
	char title[120];
	snprintf(title, sizeof title, "Act on pid %d, which statement %zu waits for?", s->pid,
	         pos->index + 1);
	struct dialog *d = dialog_open(app, DLG_BLOCKER, title, buttons, 3, NULL);
	doc_add(&d->body, ROLE_NORMAL, "pid %d, user %s, application_name %s, client %s", s->pid,
	        s->user ? s->user : "?",
	        s->application && *s->application ? s->application : "(none)",
	        s->client ? s->client : "local socket");
	doc_add(&d->body, ROLE_NORMAL, "%s %s%s%s; %s, transaction %llds",
	        s->granted ? "holds" : "queued for", s->mode ? risk_lock_name(s->mode) : "a lock",
	        s->relation ? " on " : "", s->relation ? s->relation : "",
	        s->state ? s->state : "?", (long long)s->xact_age_s);
	doc_add(&d->body, ROLE_NORMAL, "query: %s",
	        s->query && *s->query ? s->query : "(no query)");
	doc_add(&d->body, ROLE_NORMAL, "%s", "");
	if (s->state && strncmp(s->state, "idle", 4) == 0)
		doc_add(&d->body, ROLE_RISK_MEDIUM, "%s",
		        "It is idle: cancelling does nothing to its locks; terminating ends its "
		        "session and rolls its transaction back.");
	else
		doc_add(&d->body, ROLE_DIM, "%s",
		        "Cancelling stops its running query; terminating ends its session and "
		        "rolls its transaction back.");
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
		if (!app->quit_note) {
			app->quit = true;
			app->exit_code = PGSTEP_EXIT_OK;
			return;
		}
		static const char *const quit_buttons[] = {"Cancel", "Quit"};
		struct dialog *d = dialog_open(app, DLG_QUIT, "Quit?", quit_buttons, 2, NULL);
		doc_add(&d->body, ROLE_NORMAL, "%s", app->quit_note);
		d->focus = 1;
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
	        m ? migration_label(m) : "", run_tenant(app)->name,
	        pos.index + (pos.index < pos.total), pos.total,
	        pos.in_transaction ? ", its transaction is open" : "");
	doc_add(&d->body, ROLE_NORMAL, "%s",
	        "Quitting rolls back what is open and records it in the event log.");
	if (app->quit_note)
		doc_add(&d->body, ROLE_NORMAL, "%s", app->quit_note);
}
