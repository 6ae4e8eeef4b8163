/* run_confirm: the confirmation of a statement (its text, its lock and what
 * that blocks, the live facts of the relation, the finding), the answer
 * journalled with the migration, and the run's dialogs answered. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

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
	if (c.lock_relation) {
		struct doc_line *l = doc_add(&d->body, ROLE_NORMAL, "Lock %s on %s: %s",
		                             risk_lock_sql_name(c.lock_mode), c.lock_relation,
		                             lock_consequence(c.lock_mode));
		doc_span(l, 5, 5 + strlen(risk_lock_sql_name(c.lock_mode)), ROLE_RISK_HIGH);
	}
	const char *rel = c.lock_relation;
	if (!rel && c.finding && c.finding->relation)
		rel = c.finding->relation;
	size_t own = rel ? run_own_lock(rn, m, i, rel) : 0;
	const struct activity_relation *a = rel ? activity_find(&rn->watch.facts, rel) : NULL;
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
		if (rn->watch.facts_own)
			doc_add(&d->body, ROLE_DIM, "  this migration already holds %s on it",
			        risk_lock_name(rn->watch.facts_own));
		if (!a->n_sessions)
			doc_add(&d->body, ROLE_OK, "%s",
			        "  no other session holds or waits for a lock on it");
		for (size_t k = 0; k < a->n_sessions; k++) {
			const struct activity_session *s = &a->sessions[k];
			bool blocks = c.lock_mode && activity_session_blocks(s, c.lock_mode);
			struct doc_line *l =
			    doc_add(&d->body, ROLE_NORMAL,
			            "  %s pid %d %s %s %s, %s, transaction %llds: %s",
			            blocks ? "BLOCKS" : "also", s->pid, s->user ? s->user : "?",
			            s->granted ? "holds" : "waits for", risk_lock_name(s->mode),
			            s->state ? s->state : "?", (long long)s->xact_age_s,
			            s->query && *s->query ? s->query : "(no query)");
			if (blocks)
				doc_span(l, 2, 8, ROLE_RISK_HIGH);
		}
	} else if (rel && rn->watch.facts_error) {
		doc_add(&d->body, ROLE_MSG_ERROR, "  facts of %s: %s", rel, rn->watch.facts_error);
	} else if (rel && !rn->watch.session) {
		doc_add(&d->body, ROLE_DIM, "  no live facts (no second session)");
	}
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

static const char *run_confirm_relation(const struct run *rn, struct migration *m, size_t i)
{
	struct risk_confirm c;
	risk_stmt_confirm(run_risk_stmt(rn, m, i), &c);
	if (c.lock_relation)
		return c.lock_relation;
	return c.finding ? c.finding->relation : NULL;
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
	run_facts_refresh(app, run_confirm_relation(rn, m, index));
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
 * while the migration itself holds the relation: reading would wait). */
void run_confirm_tick(struct app *app)
{
	struct run *rn = app->run;
	if (app->dialog && app->dialog->kind == DLG_CONFIRM_STATEMENT &&
	    run_now_ms() >= rn->watch.facts_next_ms) {
		struct migration *m = run_migration(rn);
		const char *rel = m ? run_confirm_relation(rn, m, rn->confirm.index) : NULL;
		if (rel && !run_own_lock(rn, m, rn->confirm.index, rel))
			run_facts_refresh(app, rel);
		else
			rn->watch.facts_next_ms = run_now_ms() + WATCH_FACTS_EVERY_MS;
		run_confirm_body(app);
	}
}

/* ---- dialogs answered --------------------------------------------------------------- */

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
	case DLG_QUIT:
		if (button == 1) {
			app->quit = true;
			app->exit_code = PGSTEP_EXIT_OK;
		}
		return;
	}
}
