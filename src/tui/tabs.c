/* tabs: the documents of the detail tabs, built from the engine's data:
 * SQL (highlighted by pg_query_scan's tokens, with file line numbers), Risk
 * (risk_analyze_migration), Diff (stored SQL against the file), History (the
 * tenant's events of this migration) and Notes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgstep/diff.h"
#include "pgstep/highlight.h"
#include "pgstep/json.h"
#include "pgstep/settings.h"
#include "pgstep/xalloc.h"
#include "pgstep/event_text.h"
#include "tui_int.h"

static enum role hl_to_role(enum hl_role r)
{
	switch (r) {
	case HL_KEYWORD: return ROLE_SQL_KEYWORD;
	case HL_IDENT: return ROLE_SQL_IDENT;
	case HL_STRING: return ROLE_SQL_STRING;
	case HL_NUMBER: return ROLE_SQL_NUMBER;
	case HL_COMMENT: return ROLE_SQL_COMMENT;
	case HL_OPERATOR: return ROLE_SQL_OPERATOR;
	case HL_PLAIN: break;
	}
	return ROLE_NORMAL;
}

void doc_add_sql(struct doc *d, const char *text, int first_line)
{
	size_t len = strlen(text ? text : "");
	enum role *roles = xcalloc(len + 1, sizeof *roles);
	struct hl_spans spans = {0};
	hl_scan(text, &spans); /* on a scanner error, what was found is kept */
	for (size_t i = 0; i < spans.n; i++)
		for (size_t k = spans.items[i].start; k < spans.items[i].end && k < len; k++)
			roles[k] = hl_to_role(spans.items[i].role);
	hl_spans_clear(&spans);
	doc_add_text(d, text, roles, ROLE_NORMAL, first_line > 0 ? first_line : 1);
	free(roles);
}

static void tab_sql(struct app *app, struct migration *m, struct doc *d)
{
	(void)app;
	doc_add(d, ROLE_HEADING, "-- up: %s", m->up.path ? m->up.path : "(no file)");
	doc_add_sql(d, m->up.text, m->up.first_line);
	doc_add(d, ROLE_NORMAL, "%s", "");
	if (m->down.text) {
		doc_add(d, ROLE_HEADING, "-- down: %s", m->down.path ? m->down.path : "");
		doc_add_sql(d, m->down.text, m->down.first_line);
	} else {
		doc_add(d, ROLE_RISK_HIGH, "%s irreversible: this migration has no down section",
		        glyph->irreversible);
	}
}

/* The one size formatter (text_bytes), under the name run_confirm.c knows. */
char *facts_bytes(int64_t b)
{
	return text_bytes(b);
}

/* Under a lock claim: the relation's size and rows, then each session
 * holding or waiting for a lock on it; those that would make the claim
 * wait say "blocks" in words, not colour alone. */
static void risk_claim_facts(struct doc *d, const struct risk_lock_claim *c,
                             const struct activity_facts *facts)
{
	const struct activity_relation *a = facts ? activity_find(facts, c->relation) : NULL;
	if (!facts || c->new_relation)
		return;
	if (!a) {
		doc_add(d, ROLE_DIM, "%s", "     (no facts)");
		return;
	}
	if (!a->size.exists) {
		doc_add(d, ROLE_DIM, "%s", "     does not exist yet");
		return;
	}
	char *bytes = facts_bytes(a->size.bytes);
	if (a->size.rows > 0)
		doc_add(d, ROLE_NORMAL, "     size %s, about %lld rows", bytes,
		        (long long)a->size.rows);
	else if (a->size.rows == 0)
		doc_add(d, ROLE_NORMAL, "     size %s, empty", bytes);
	else
		doc_add(d, ROLE_NORMAL, "     size %s, rows unknown (not analyzed)", bytes);
	free(bytes);
	if (!a->n_sessions)
		doc_add(d, ROLE_DIM, "%s", "     no session holds or waits for a lock on it");
	for (size_t i = 0; i < a->n_sessions; i++) {
		const struct activity_session *s = &a->sessions[i];
		bool blocks = activity_session_blocks(s, c->mode);
		int64_t age = s->xact_age_s;
		char agebuf[32] = "no transaction";
		if (age >= 0)
			snprintf(agebuf, sizeof agebuf, "xact %llds", (long long)age);
		struct doc_line *l =
		    doc_add(d, ROLE_NORMAL, "     %s pid %d %s %s %s, %s, %s: %s",
		            blocks ? "blocks" : "also", s->pid, s->user ? s->user : "?",
		            s->granted ? "holds" : "waits for", risk_lock_name(s->mode),
		            s->state ? s->state : "state unknown", agebuf,
		            s->query && *s->query ? s->query : "(no query)");
		if (blocks)
			doc_span(l, 5, 11, ROLE_RISK_HIGH);
	}
	for (size_t i = 0; i < a->n_invalid; i++)
		doc_add(d, ROLE_RISK_MEDIUM, "     INVALID index %s%s", a->invalid[i].name,
		        a->invalid[i].building ? " (being built right now)" : "");
}

/* A statement's locks (with the live facts under each, when given), effects,
 * plain-language sentence and findings with their safer alternatives. */
void doc_add_stmt_risk(struct doc *d, const struct risk_stmt *s, const struct activity_facts *facts)
{
	for (size_t k = 0; k < s->n_locks; k++) {
		struct doc_line *l = doc_add(d, ROLE_NORMAL, "   lock %s (%s) on %s%s",
		                             risk_lock_sql_name(s->locks[k].mode),
		                             risk_lock_name(s->locks[k].mode), s->locks[k].relation,
		                             s->locks[k].new_relation ? " (new)"
		                             : s->locks[k].catalog    ? " (system catalog)"
		                                                      : "");
		enum role lr = s->locks[k].mode >= RISK_LOCK_SHARE && !s->locks[k].new_relation
		                   ? ROLE_RISK_MEDIUM
		                   : ROLE_NORMAL;
		doc_span(l, 8, 8 + strlen(risk_lock_sql_name(s->locks[k].mode)), lr);
		risk_claim_facts(d, &s->locks[k], facts);
	}
	if (s->effects) {
		struct strbuf sb;
		strbuf_init(&sb);
		risk_effects_describe(s->effects, &sb);
		doc_add(d, ROLE_NORMAL, "   effects: %s", sb.buf);
		strbuf_release(&sb);
	}
	if (s->explain)
		doc_add(d, ROLE_DIM, "   %s", s->explain);
	for (size_t k = 0; k < s->n_findings; k++) {
		const struct risk_finding *f = &s->findings[k];
		enum role fr = f->allowed ? ROLE_DIM : risk_role((int)f->severity);
		struct doc_line *l = doc_add(
		    d, ROLE_NORMAL, "   [%s] %s: %s%s", risk_word((int)f->severity), f->rule->id,
		    f->message ? f->message : f->rule->title, f->allowed ? " (allowed)" : "");
		doc_span(l, 3, 5 + strlen(risk_word((int)f->severity)), fr);
		if (f->rule->alternative && *f->rule->alternative)
			doc_add(d, ROLE_OK, "     instead: %s", f->rule->alternative);
	}
}

static void risk_section(struct app *app, struct migration *m, bool down, struct doc *d,
                         const struct risk_report *r, const struct activity_facts *facts)
{
	/* How it runs is settings_of()'s to say, as for the runner; the split
	 * gives it the statements (an error shows as the report's problem). */
	struct pgstep_error err = {0};
	migration_split(m, &err);
	error_clear(&err);
	struct settings set;
	settings_of(app->eng.cfg, m, down, &set);
	struct strbuf how;
	strbuf_init(&how);
	settings_txn_text(&how, &set);
	doc_add(d, ROLE_HEADING, "%s: %zu statement%s, %s", down ? "down" : "up", r->n_stmts,
	        r->n_stmts == 1 ? "" : "s", how.buf);
	strbuf_release(&how);
	for (size_t i = 0; i < r->n_problems; i++)
		doc_add(d, ROLE_MSG_ERROR, "  problem at line %d: %s", r->problems[i].line,
		        r->problems[i].message);
	for (size_t i = 0; i < r->n_stmts; i++) {
		const struct risk_stmt *s = &r->stmts[i];
		char *first = xstrdup(s->sql ? s->sql : "");
		char *nl = strchr(first, '\n');
		if (nl)
			*nl = '\0';
		doc_add(d, ROLE_HEADING, "%zu. line %d, %s: %s", i + 1, s->line, s->kind, first);
		free(first);
		doc_add_stmt_risk(d, s, facts);
	}
}

static void tab_risk(struct app *app, struct migration *m, struct doc *d)
{
	const struct risk_file_report *r = app_risk(app, m);
	int worst = risk_report_worst(&r->up);
	struct doc_line *l =
	    doc_add(d, ROLE_NORMAL, "Highest risk: %s", worst < 0 ? "none" : risk_word(worst));
	doc_span(l, 14, strlen(l->text), risk_role(worst));
	int back = risk_report_worst(&r->down);
	if (back >= 0) {
		l = doc_add(d, ROLE_NORMAL, "Rolling back: %s", risk_word(back));
		doc_span(l, 14, strlen(l->text), risk_role(back));
	}
	struct tenant *t = app_tenant(app);
	const char *ferr = NULL;
	const struct activity_facts *facts = app_facts(app, m, &ferr);
	char at[16] = "";
	if (facts) {
		struct tm tm;
		localtime_r(&app->facts_at, &tm);
		strftime(at, sizeof at, "%H:%M:%S", &tm);
	}
	if (facts && ferr)
		doc_add(d, ROLE_MSG_ERROR,
		        "Live facts of %s read at %s, incomplete: %s (f reads them again)", t->name,
		        at, ferr);
	else if (facts)
		doc_add(d, ROLE_DIM,
		        "Live facts of %s read at %s, under each lock of up (f reads them again).",
		        t->name, at);
	else if (t)
		doc_add(d, ROLE_DIM,
		        "Offline analysis of the SQL text; f (:facts) reads the live facts of %s.",
		        t->name);
	else
		doc_add(d, ROLE_DIM, "%s", "Offline analysis of the SQL text.");
	doc_add(d, ROLE_NORMAL, "%s", "");
	risk_section(app, m, false, d, &r->up, facts);
	if (r->has_down_section || m->down.text) {
		doc_add(d, ROLE_NORMAL, "%s", "");
		risk_section(app, m, true, d, &r->down, NULL);
	}
}

static void add_diff(struct doc *d, const char *text)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		enum role r = *p == '+'   ? ROLE_DIFF_ADD
		              : *p == '-' ? ROLE_DIFF_DEL
		              : *p == '@' ? ROLE_DIFF_HUNK
		                          : ROLE_NORMAL;
		char *line = xstrndup(p, len);
		doc_add_text(d, line, NULL, r, 0);
		/* Context scrolls sideways as SQL does; a changed line wraps, so
		 * what changed is on screen at any width. */
		d->lines[d->n - 1].code = !(r == ROLE_DIFF_ADD || r == ROLE_DIFF_DEL) ||
		                          strncmp(line, "+++", 3) == 0 ||
		                          strncmp(line, "---", 3) == 0;
		free(line);
		p += len + (nl ? 1 : 0);
	}
}

/* What a tab shows while the tenant's rows and events are read, or when
 * they cannot be. */
static void tab_unfetched(struct doc *d, const char *what, const char *why)
{
	if (strcmp(why, "loading") == 0)
		doc_add(d, ROLE_LOADING, "%s loading %s%s", glyph->loading, what, glyph->ellipsis);
	else
		doc_add(d, ROLE_MSG_ERROR, "cannot read %s: %s", what, why);
}

static void tab_diff(struct app *app, struct migration *m, struct doc *d)
{
	const struct mig_status *st = app_selected_status(app);
	struct tenant *t = app_tenant(app);
	if (m->archived) {
		doc_add(d, ROLE_DIM, "%s", "Archived: never applied.");
		return;
	}
	if (!st) {
		const char *why;
		app_fetched(app, &why);
		tab_unfetched(d, "the stored SQL", why ? why : "not recorded");
		return;
	}
	if (st->state == MSTATE_PENDING || st->state == MSTATE_ROLLED_BACK ||
	    st->state == MSTATE_FAILED) {
		struct pgstep_error err = {0};
		bool split = migration_split(m, &err);
		struct settings set;
		settings_of(app->eng.cfg, m, false, &set);
		struct strbuf how;
		strbuf_init(&how);
		settings_txn_text(&how, &set);
		doc_add(d, ROLE_HEADING, "Pending on %s: `up` will run in %s", t ? t->name : "?",
		        how.buf);
		strbuf_release(&how);
		if (split) {
			for (size_t i = 0; i < m->up.stmts.n; i++) {
				doc_add(d, ROLE_HEADING, "-- statement %zu (line %d)", i + 1,
				        m->up.stmts.items[i].line);
				doc_add_sql(d, m->up.stmts.items[i].sql, m->up.stmts.items[i].line);
			}
		} else {
			doc_add(d, ROLE_MSG_ERROR, "%s", err.msg ? err.msg : "cannot split");
			error_clear(&err);
		}
		return;
	}
	if (st->checksum_ok) {
		doc_add(d, ROLE_OK, "%s The file is unchanged since it was applied (%s).",
		        glyph->ok, mstate_name(st->state));
		doc_add(d, ROLE_DIM, "checksum %s", m->checksum);
		return;
	}
	const struct state_row *row = st->row;
	if (!row || !row->up_sql) {
		doc_add(d, ROLE_MSG_ERROR, "%s",
		        "The stored SQL of this migration is not recorded.");
		return;
	}
	char when[40];
	event_text_when(when, sizeof when, row->finished_at);
	doc_add(d, ROLE_PENDING, "%s The file changed since it was applied (%s):", glyph->changed,
	        when);
	struct strbuf sb;
	strbuf_init(&sb);
	char *name_b = xasprintf("file %s", m->up.path ? m->up.path : "");
	char *name_a = xasprintf("stored on %s", t->name);
	diff_unified(row->up_sql, m->up.text, name_a, name_b, 3, &sb);
	add_diff(d, sb.buf);
	free(name_a);
	free(name_b);
	strbuf_release(&sb);
}

/* Whether event e passes the History tab's filter (:filter WORD): its
 * action or its database or OS user is WORD. */
static bool history_shown(const struct app *app, const struct event_row *e)
{
	const char *f = app->hist_filter;
	if (!*f)
		return true;
	return (e->action && strcmp(e->action, f) == 0) ||
	       (e->db_user && strcmp(e->db_user, f) == 0) ||
	       (e->os_user && strcmp(e->os_user, f) == 0);
}

/* One line per event, as `pgstep history` prints it: local time, action,
 * who, and what happened in words (event_text); no JSON. */
static void tab_history(struct app *app, struct migration *m, struct doc *d)
{
	struct tenant *t = app_tenant(app);
	const char *why;
	const struct tenant_fetch *f = app_fetched(app, &why);
	if (!f) {
		tab_unfetched(d, "the history", why);
		return;
	}
	const struct event_rows *events = tenant_fetch_events(f);
	doc_add(d, ROLE_HEADING, "Events of %s on %s%s%s%s", migration_label(m), t->name,
	        *app->hist_filter ? " (:filter " : "", app->hist_filter,
	        *app->hist_filter ? ")" : "");
	int aw = 6, ww = 3;
	for (size_t i = 0; i < events->n; i++) {
		const struct event_row *e = &events->items[i];
		if (!e->version || strcmp(e->version, m->version.key) != 0 ||
		    !history_shown(app, e))
			continue;
		int a = text_width(e->action ? e->action : "");
		aw = a > aw ? (a < 14 ? a : 14) : aw;
		int w = text_width(e->db_user ? e->db_user : "?");
		ww = w > ww ? (w < 16 ? w : 16) : ww;
	}
	size_t shown = 0, hidden = 0;
	for (size_t i = 0; i < events->n; i++) {
		const struct event_row *e = &events->items[i];
		if (!e->version || strcmp(e->version, m->version.key) != 0)
			continue;
		if (!history_shown(app, e)) {
			hidden++;
			continue;
		}
		char when[40];
		event_text_happened(when, sizeof when, e);
		struct strbuf what;
		strbuf_init(&what);
		event_text_summary(&what, e);
		char *err = json_get(e->detail, "error");
		struct strbuf line;
		strbuf_init(&line);
		text_escape_controls(&line, when);
		strbuf_adds(&line, "  ");
		size_t act_at = line.len;
		text_escape_controls(&line, e->action ? e->action : "?");
		size_t act_end = line.len;
		strbuf_addf(&line, "%*s  ",
		            aw - text_width(e->action ? e->action : "?") > 0
		                ? aw - text_width(e->action ? e->action : "?")
		                : 0,
		            "");
		strbuf_adds(&line, "by ");
		text_escape_controls(&line, e->db_user ? e->db_user : "?");
		strbuf_addf(&line, "%*s  ",
		            ww - text_width(e->db_user ? e->db_user : "?") > 0
		                ? ww - text_width(e->db_user ? e->db_user : "?")
		                : 0,
		            "");
		int hang = text_width(line.buf);
		strbuf_adds(&line, what.buf ? what.buf : "");
		struct doc_line *l = doc_add(d, ROLE_NORMAL, "%s", line.buf);
		l->hang = hang; /* the words wrap under their own column */
		doc_span(l, act_at, act_end, err ? ROLE_FAILED : ROLE_HEADING);
		strbuf_release(&line);
		strbuf_release(&what);
		free(err);
		shown++;
	}
	if (hidden)
		doc_add(d, ROLE_DIM, "(%zu more not shown: :filter alone shows every event)",
		        hidden);
	else if (!shown)
		doc_add(d, ROLE_DIM, "%s", "(no events: never run on this tenant)");
}

static void tab_notes(struct app *app, struct migration *m, struct doc *d)
{
	doc_add(d, ROLE_HEADING, "%s", "Note");
	if (m->note && *m->note)
		doc_add_text(d, m->note, NULL, ROLE_NORMAL, 0);
	else
		doc_add(d, ROLE_DIM, "%s", "(no pgstep:note)");
	if (m->baseline)
		doc_add(d, ROLE_NORMAL, "%s baseline: stands for every earlier version",
		        glyph->baseline);
	if (!migration_reversible(m))
		doc_add(d, ROLE_RISK_HIGH, "%s irreversible: no down", glyph->irreversible);
	doc_add(d, ROLE_NORMAL, "%s", "");
	doc_add(d, ROLE_HEADING, "%s", "What each statement does");
	const struct risk_file_report *r = app_risk(app, m);
	for (size_t i = 0; i < r->up.n_stmts; i++)
		doc_add(d, ROLE_NORMAL, "%zu. %s", i + 1,
		        r->up.stmts[i].explain ? r->up.stmts[i].explain : r->up.stmts[i].kind);
	if (r->down.n_stmts) {
		doc_add(d, ROLE_HEADING, "%s", "Down");
		for (size_t i = 0; i < r->down.n_stmts; i++)
			doc_add(d, ROLE_NORMAL, "%zu. %s", i + 1,
			        r->down.stmts[i].explain ? r->down.stmts[i].explain
			                                 : r->down.stmts[i].kind);
	}
}

void detail_build(struct app *app, struct doc *d)
{
	struct migration *m = app_selected_migration(app);
	if (!m) {
		if (app->n_rows && app->rows_v[app->mig_sel].kind == ROW_PHASE)
			doc_add(d, ROLE_DIM, "Phase %s: Enter folds or unfolds it.",
			        app->phase_names[app->rows_v[app->mig_sel].phase]);
		else
			doc_add(d, ROLE_DIM, "%s", "No migration selected.");
		return;
	}
	switch (app->tab) {
	case TAB_SQL: tab_sql(app, m, d); break;
	case TAB_RISK: tab_risk(app, m, d); break;
	case TAB_DIFF: tab_diff(app, m, d); break;
	case TAB_HISTORY: tab_history(app, m, d); break;
	case TAB_NOTES: tab_notes(app, m, d); break;
	case TAB_COUNT: break;
	}
}
