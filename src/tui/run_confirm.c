/* run_confirm: the confirmation of a statement (its text, its lock and what
 * that blocks, the live facts of the relation, the finding), the answer
 * journalled with the migration, and the run's dialogs answered. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/inflight.h"
#include "pgstep/json.h"
#include "pgstep/settings.h"
#include "pgstep/xalloc.h"
#include "run_int.h"
#include "tui_int.h"

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
	case RISK_LOCK_ROW_EXCLUSIVE:
	case RISK_LOCK_ROW_SHARE:
	case RISK_LOCK_ACCESS_SHARE:
		return "reads and writes go on; it waits for a stronger lock held or queued";
	default: return "";
	}
}

/* The relations the dialog shows for statement i: every relation it locks
 * that existed before it (the index's table, both sides of a foreign key,
 * partitions...: the risk engine's claims), then its finding's relation. */
static void run_confirm_relations(const struct run *rn, struct migration *m, size_t i,
                                  struct strvec *out)
{
	const struct risk_stmt *rs = run_risk_stmt(rn, m, i);
	if (!rs)
		return;
	for (size_t k = 0; k < rs->n_locks; k++)
		if (!rs->locks[k].new_relation && strvec_find(out, rs->locks[k].relation) < 0)
			strvec_push(out, rs->locks[k].relation);
	struct risk_confirm c;
	risk_stmt_confirm(rs, &c);
	if (c.finding && c.finding->relation && strvec_find(out, c.finding->relation) < 0)
		strvec_push(out, c.finding->relation);
}

/* The relations whose facts can be read now: not those an earlier statement
 * of the open transaction holds ACCESS EXCLUSIVE on (reading would wait for
 * our own lock). */
static void run_confirm_readable(const struct run *rn, struct migration *m, size_t i,
                                 struct strvec *out)
{
	struct strvec all;
	strvec_init(&all);
	run_confirm_relations(rn, m, i, &all);
	for (size_t k = 0; k < all.n; k++)
		if (!run_own_lock(rn, m, i, all.items[k]))
			strvec_push(out, all.items[k]);
	strvec_clear(&all);
}

/* One session in the way (or not) of a request for mode on a relation: the
 * verdict first, then who it is and what it runs. */
static void confirm_session(struct dialog *d, const struct activity_session *s, enum risk_lock mode)
{
	bool blocks = mode && activity_session_blocks(s, mode);
	const char *verdict = !blocks      ? " (no conflict)"
	                      : s->granted ? ": we would wait for it"
	                                   : ", queued ahead of us: we would wait for it";
	doc_add(&d->body, blocks ? ROLE_RISK_HIGH : ROLE_NORMAL, "    pid %d (%s) %s %s%s", s->pid,
	        s->application && *s->application ? s->application : "no application_name",
	        s->granted ? "holds" : "waits for", risk_lock_name(s->mode), verdict);
	doc_add(&d->body, ROLE_DIM,
	        "      user %s, %s, transaction %llds, client %s:", s->user ? s->user : "?",
	        s->state ? s->state : "?", (long long)s->xact_age_s,
	        s->client ? s->client : "local socket");
	doc_add(&d->body, ROLE_DIM, "      %s", s->query && *s->query ? s->query : "(no query)");
}

/* What the dialog says about one relation: the lock the statement takes on
 * it (mode NONE: only named by the finding), its size, and every session
 * holding or waiting for a lock on it. */
static void confirm_relation(struct app *app, struct dialog *d, const struct risk_stmt *rs,
                             size_t i, const char *rel, enum risk_lock mode)
{
	struct run *rn = app->run;
	struct migration *m = run_migration(rn);
	if (mode) {
		const char *why = lock_consequence(mode);
		const struct activity_relation *f = activity_find(&rn->watch.facts, rel);
		/* DROP INDEX CONCURRENTLY takes the index's own ACCESS EXCLUSIVE
		 * last, once no transaction can be using the index. */
		if (rs->kind && strcmp(rs->kind, "drop index concurrently") == 0 &&
		    mode == RISK_LOCK_ACCESS_EXCLUSIVE && (!f || f->size.relkind == 'i'))
			why = "the index itself, taken last, once no transaction uses it";
		struct doc_line *l = doc_add(&d->body, ROLE_NORMAL, "Lock %s on %s: %s",
		                             risk_lock_sql_name(mode), rel, why);
		doc_span(l, 5, 5 + strlen(risk_lock_sql_name(mode)),
		         mode > RISK_LOCK_ROW_EXCLUSIVE ? ROLE_RISK_HIGH : ROLE_NORMAL);
	} else {
		doc_add(&d->body, ROLE_NORMAL, "%s:", rel);
	}
	size_t own = run_own_lock(rn, m, i, rel);
	const struct activity_relation *a = activity_find(&rn->watch.facts, rel);
	if (own) {
		doc_add(&d->body, ROLE_DIM,
		        "  this migration holds ACCESS EXCLUSIVE on it since statement %zu: no one "
		        "else can use it",
		        own);
		return;
	}
	if (a && a->size.exists) {
		char *bytes = facts_bytes(a->size.bytes);
		if (a->size.rows >= 0)
			doc_add(&d->body, ROLE_NORMAL, "  %s: %s, about %lld rows", rel, bytes,
			        (long long)a->size.rows);
		else
			doc_add(&d->body, ROLE_NORMAL, "  %s: %s, rows unknown (not analyzed)", rel,
			        bytes);
		free(bytes);
		size_t at = (size_t)(a - rn->watch.facts.rels);
		if (rn->watch.facts_own && rn->watch.facts_own[at])
			doc_add(&d->body, ROLE_DIM, "  this migration already holds %s on it",
			        risk_lock_name(rn->watch.facts_own[at]));
		if (!a->n_sessions)
			doc_add(&d->body, ROLE_OK, "%s",
			        "  no other session holds or waits for a lock on it");
		for (size_t k = 0; k < a->n_sessions; k++)
			confirm_session(d, &a->sessions[k], mode);
	} else if (rn->watch.facts_error) {
		doc_add(&d->body, ROLE_MSG_ERROR, "  facts of %s: %s", rel, rn->watch.facts_error);
	} else if (!rn->watch.session) {
		doc_add(&d->body, ROLE_DIM, "  no live facts (no second session)");
	}
}

/* CREATE INDEX ... IF NOT EXISTS over an INVALID index of that name (an
 * interrupted CONCURRENTLY build left it) builds nothing and keeps it: say
 * so, with the fix. The table's facts list its INVALID indexes. */
static void confirm_invalid_index(struct app *app, struct dialog *d, const char *sql)
{
	struct run *rn = app->run;
	struct inflight_check ic;
	if (!inflight_classify(sql, &ic))
		return;
	if (ic.kind == INFLIGHT_CREATE_INDEX && ic.if_not_exists && ic.index.name) {
		const char *schema = ic.index.schema           ? ic.index.schema
		                     : run_tenant(app)->schema ? run_tenant(app)->schema
		                                               : "public";
		char *want = xasprintf("%s.%s", schema, ic.index.name);
		for (size_t r = 0; r < rn->watch.facts.n_rels; r++) {
			const struct activity_relation *a = &rn->watch.facts.rels[r];
			for (size_t k = 0; k < a->n_invalid; k++) {
				const struct activity_index *x = &a->invalid[k];
				if (strcmp(x->name, want) != 0 || x->building)
					continue;
				doc_add(&d->body, ROLE_RISK_HIGH,
				        "INVALID index %s exists (an interrupted build left it):",
				        x->name);
				doc_add(&d->body, ROLE_RISK_HIGH, "%s",
				        "  IF NOT EXISTS keeps it and builds nothing: queries will "
				        "not use "
				        "it, writes still maintain it");
				doc_add(&d->body, ROLE_OK,
				        "  fix: DROP INDEX CONCURRENTLY %s; first, then run this",
				        x->name);
			}
		}
		free(want);
	}
	inflight_check_clear(&ic);
}

/* The preflight checks of statement i, as plan --preflight reports them. */
static void confirm_preflight(struct dialog *d, const struct preflight_list *checks, size_t i)
{
	for (size_t k = 0; k < checks->n; k++) {
		const struct preflight_check *c = &checks->items[k];
		if (c->stmt != i)
			continue;
		const char *name = preflight_kind_name(c->kind);
		switch (c->status) {
		case PREFLIGHT_FOUND:
			doc_add(&d->body, ROLE_RISK_HIGH, "Preflight %s: %lld row%s: %s", name,
			        (long long)c->count, c->count == 1 ? "" : "s", c->what);
			for (size_t s = 0; s < c->samples.n; s++)
				doc_add(&d->body, ROLE_NORMAL, "  %s%s", c->samples.items[s],
				        c->sample_rows[s] > 1 ? " (several rows)" : "");
			if (c->severity == RISK_ERROR)
				doc_add(&d->body, ROLE_RISK_HIGH, "%s",
				        "  the statement will fail on them");
			else
				doc_add(&d->body, ROLE_RISK_HIGH, "%s",
				        "  the statement changes them without a word");
			break;
		case PREFLIGHT_OK:
			doc_add(&d->body, ROLE_OK, "Preflight %s: none found: %s", name, c->what);
			break;
		case PREFLIGHT_SKIPPED:
			doc_add(&d->body, ROLE_DIM, "Preflight %s: not checked: %s", name,
			        c->note ? c->note : "");
			break;
		case PREFLIGHT_ERROR:
			doc_add(&d->body, ROLE_RISK_MEDIUM, "Preflight %s: could not run: %s", name,
			        c->error ? c->error : "");
			break;
		case PREFLIGHT_PENDING:
			doc_add(&d->body, ROLE_DIM, "Preflight %s: not run (no second session)",
			        name);
			break;
		}
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
	size_t i = rn->confirm.index;
	const struct statement *st = &sec->stmts.items[i];
	const struct risk_stmt *rs = run_risk_stmt(rn, m, i);
	struct risk_confirm c;
	risk_stmt_confirm(rs, &c);
	doc_clear(&d->body);
	doc_add(&d->body, ROLE_NORMAL, "Statement %zu of %zu (line %d) of %s on %s:", i + 1,
	        sec->stmts.n, st->line, migration_label(m), run_tenant(app)->name);
	doc_add_sql(&d->body, st->sql, st->line);
	doc_add(&d->body, ROLE_NORMAL, "%s", "");
	struct strvec rels;
	strvec_init(&rels);
	run_confirm_relations(rn, m, i, &rels);
	/* Tables before indexes: what the DBA's sessions use comes first. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < rels.n; k++) {
			const struct activity_relation *f =
			    activity_find(&rn->watch.facts, rels.items[k]);
			bool index = f && f->size.exists && f->size.relkind == 'i';
			if (index != (pass == 1))
				continue;
			enum risk_lock mode = RISK_LOCK_NONE;
			for (size_t j = 0; rs && j < rs->n_locks; j++)
				if (strcmp(rs->locks[j].relation, rels.items[k]) == 0 &&
				    rs->locks[j].mode > mode)
					mode = rs->locks[j].mode;
			confirm_relation(app, d, rs, i, rels.items[k], mode);
		}
	strvec_clear(&rels);
	confirm_invalid_index(app, d, st->sql);
	confirm_preflight(d, &rn->checks, i);
	struct settings set;
	settings_of(app->eng.cfg, m, rn->jo.kind != JOB_UP, &set);
	struct strbuf sb;
	strbuf_init(&sb);
	settings_lock_timeout_text(&sb, &set);
	doc_add(&d->body, ROLE_NORMAL, "%s,", sb.buf);
	strbuf_reset(&sb);
	settings_origin_text(&sb, &set.lock_retries_from);
	doc_add(&d->body, ROLE_NORMAL, "  then retried up to %d times (%s)", set.lock_retries,
	        sb.buf);
	strbuf_release(&sb);
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

void run_confirm_open(struct app *app, size_t index)
{
	struct run *rn = app->run;
	struct migration *m = run_migration(rn);
	struct risk_confirm c;
	risk_stmt_confirm(run_risk_stmt(rn, m, index), &c);
	rn->confirm.index = index;
	static const char *const buttons[] = {"Cancel", "Run it",
	                                      "Run it here and on the other tenants"};
	bool others = rn->group.active && rn->group.qpos < rn->group.n_queue;
	char title[200];
	snprintf(title, sizeof title, "Confirm statement %zu on %s", index + 1,
	         run_tenant(app)->name);
	dialog_open(app, DLG_CONFIRM_STATEMENT, title, buttons, others ? 3 : 2,
	            c.kind == RISK_CONFIRM_TYPED ? c.typed_name : NULL);
	struct strvec rels;
	strvec_init(&rels);
	run_confirm_readable(rn, m, index, &rels);
	run_facts_refresh(app, &rels);
	strvec_clear(&rels);
	run_confirm_body(app);
}

/* Record the answer in the event log (inside the open transaction: with the
 * migration when it commits, after it when not). */
void run_journal_answer(struct app *app, bool yes, const char *typed)
{
	struct run *rn = app->run;
	struct runner *r = job_runner(rn->job);
	struct migration *m = run_migration(rn);
	if (!r || !m)
		return;
	const struct migration_section *sec = run_section(rn, m);
	struct risk_confirm c;
	risk_stmt_confirm(run_risk_stmt(rn, m, rn->confirm.index), &c);
	struct strbuf sb;
	struct json j;
	strbuf_init(&sb);
	json_init(&j, &sb);
	json_begin_object(&j);
	json_kv_int(&j, "statement", (int64_t)rn->confirm.index + 1);
	json_kv_string(&j, "sql", sec->stmts.items[rn->confirm.index].sql);
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

/* While the dialog is up: its facts again, every WATCH_FACTS_EVERY_MS (not
 * of a relation the migration itself holds: reading would wait). */
void run_confirm_tick(struct app *app)
{
	struct run *rn = app->run;
	if (app->dialog && app->dialog->kind == DLG_CONFIRM_STATEMENT &&
	    run_now_ms() >= rn->watch.facts_next_ms) {
		struct migration *m = run_migration(rn);
		struct strvec rels;
		strvec_init(&rels);
		if (m)
			run_confirm_readable(rn, m, rn->confirm.index, &rels);
		if (rels.n)
			run_facts_refresh(app, &rels);
		else
			rn->watch.facts_next_ms = run_now_ms() + WATCH_FACTS_EVERY_MS;
		strvec_clear(&rels);
		run_confirm_body(app);
	}
}

/* ---- dialogs answered --------------------------------------------------------------- */

/* K's answer: signal the blocker from the watch session and record it. */
static void run_blocker_answer(struct app *app, int button)
{
	struct run *rn = app->run;
	if (!rn || button == 0 || !rn->watch.session) {
		if (rn)
			app_message(app, false, "pid %d left alone", rn->blocker_pid);
		return;
	}
	bool terminate = button == 2;
	run_watch_drain(rn);
	bool signalled = false;
	struct pgstep_error err = {0};
	if (!activity_signal_backend(rn->watch.session, rn->blocker_pid, terminate, &signalled,
	                             &err)) {
		app_message(app, true, "pid %d: %s", rn->blocker_pid, err.msg);
		error_clear(&err);
		return;
	}
	const char *what = terminate ? "terminated" : "query cancelled";
	run_log(rn, "pid %d %s%s", rn->blocker_pid, what, signalled ? "" : " (the server said no)");
	app_message(app, !signalled, "pid %d: %s%s", rn->blocker_pid, what,
	            signalled ? "" : ": the server refused (gone, or not allowed)");
	struct runner *r = rn->job ? job_runner(rn->job) : NULL;
	if (r && signalled && rn->blocker_detail) {
		char *detail = xasprintf("{\"%s\":%s}", terminate ? "terminated" : "cancelled",
		                         rn->blocker_detail);
		if (!runner_journal(r, terminate ? "blocker-terminated" : "blocker-cancelled",
		                    detail, &err))
			app_message(app, true, "%s", err.msg);
		error_clear(&err);
		free(detail);
	}
}

void run_dialog_done(struct app *app, enum dialog_kind kind, int button, const char *typed)
{
	struct run *rn = app->run;
	switch (kind) {
	case DLG_CONFIRM_STATEMENT:
		if (!rn || !rn->job)
			return;
		run_journal_answer(app, button >= 1, typed);
		if (button == 2) {
			strvec_push_owned(&rn->group.ok,
			                  run_group_key(run_migration(rn), rn->confirm.index));
			strvec_push(&rn->group.typed, typed);
		}
		if (button == 0) {
			rn->auto_run = false;
			run_log(rn, "statement %zu not run: cancelled at the confirmation",
			        rn->confirm.index + 1);
			app_message(
			    app, false,
			    "statement %zu not run; x asks again, B rolls back the migration",
			    rn->confirm.index + 1);
			app->panes[PANE_DETAIL].dirty = true;
			return;
		}
		rn->confirm.given = true;
		rn->confirm.given_for = run_migration(rn);
		rn->confirm.given_index = rn->confirm.index;
		run_log(rn, "statement %zu confirmed%s%s", rn->confirm.index + 1,
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
		/* A step's plan still stops before each statement. */
		rn->auto_run = strcmp(rn->title, "step") != 0;
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
	case DLG_REBUILD_INDEX:
		if (button != 1 || !rn) {
			run_free(app);
			app_message(app, false, "%s", "nothing was run");
			screen_mark_all(app);
			return;
		}
		rn->jo.rebuild_invalid = true;
		if (run_open_job(app, app->tenant_sel))
			run_drive(app);
		return;
	case DLG_BLOCKER: run_blocker_answer(app, button); return;
	case DLG_REPAIR: run_repair_answer(app, button); return;
	case DLG_MESSAGE: return;
	case DLG_QUIT:
		if (button == 1) {
			app->quit = true;
			app->exit_code = PGSTEP_EXIT_OK;
		}
		return;
	}
}
