/* run_view: what the detail pane shows while a run is open: where the run
 * stands, the statement list with the current one marked, the next
 * statement's SQL with its locks, findings and plain-language sentence,
 * what a running statement waits for, the error of a failed one with its
 * position marked, a group's summary, and the log (notices, events). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "run_int.h"
#include "tui_int.h"

/* The statement's text with the character the server pointed at (1-based,
 * in characters) marked, and a caret line under it. */
/* Characters (not bytes) in s[0..len). */
static size_t count_chars(const char *s, size_t len)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t chars = 0;
	for (size_t i = 0; i < len; chars++) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + i, len - i, &st);
		i += n == (size_t)-1 || n == (size_t)-2 || n == 0 ? 1 : n;
	}
	return chars;
}

/* The statement's text with the character the server pointed at (1-based,
 * in characters) marked, and a caret line under it. */
static void view_error_sql(struct doc *d, const char *sql, int first_line, int position)
{
	int line = 0;
	size_t col_bytes = 0, col_chars = 0, len = strlen(sql);
	bool found = false;
	if (position > 0) {
		mbstate_t st;
		memset(&st, 0, sizeof st);
		size_t i = 0, line_start = 0;
		for (int chars = 0; i < len && chars < position - 1; chars++) {
			if (sql[i] == '\n') {
				line++;
				line_start = i + 1;
			}
			wchar_t wc;
			size_t n = mbrtowc(&wc, sql + i, len - i, &st);
			i += n == (size_t)-1 || n == (size_t)-2 || n == 0 ? 1 : n;
		}
		col_bytes = i - line_start;
		col_chars = count_chars(sql + line_start, col_bytes);
		found = i < len;
	}
	const char *p = sql;
	for (int ln = 0; *p || ln == 0; ln++) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		struct doc_line *l =
		    doc_add(d, ROLE_NORMAL, "%5d  %.*s", first_line + ln, (int)n, p);
		if (found && ln == line) {
			doc_span(l, 7 + col_bytes, 8 + col_bytes, ROLE_MSG_ERROR);
			doc_add(d, ROLE_MSG_ERROR, "%*s^ the error is here (character %d)",
			        (int)(7 + col_chars), "", position);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* The banner while the run holds a lock stronger than ROW EXCLUSIVE on a
 * relation others can use: which, for how long, who queues behind it, and
 * past hold_limit, loudly, what to do. */
static void view_hold_banner(struct app *app, struct doc *d)
{
	struct run *rn = app->run;
	const struct watch_state *ws = rn->watch.w ? watch_state(rn->watch.w) : NULL;
	if (!ws || !ws->held_since_ms || !ws->rows.n_held)
		return;
	int64_t held = watch_now_ms() - ws->held_since_ms;
	int64_t limit = app->eng.cfg ? app->eng.cfg->hold_limit_ms : 0;
	bool past = limit && held > limit;
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < ws->rows.n_held; i++)
		strbuf_addf(&sb, "%s%s on %s", i ? ", " : "",
		            risk_lock_sql_name(ws->rows.held[i].mode), ws->rows.held[i].relation);
	doc_add(d, past || ws->rows.n_waiters ? ROLE_RISK_HIGH : ROLE_RISK_MEDIUM,
	        "HOLDING %s for %lld.%01lld s", sb.buf, (long long)held / 1000,
	        (long long)(held % 1000) / 100);
	strbuf_release(&sb);
	if (!ws->rows.n_waiters) {
		doc_add(d, ROLE_DIM, "%s", "  no session is queued behind us yet");
	} else {
		const struct activity_session *s = &ws->rows.waiters[0]; /* waits longest */
		doc_add(d, ROLE_RISK_HIGH,
		        "  %zu session%s queued behind us; the oldest waits %llds for %s:",
		        ws->rows.n_waiters, ws->rows.n_waiters == 1 ? "" : "s",
		        (long long)(s->state_age_s > 0 ? s->state_age_s : 0),
		        s->mode ? risk_lock_name(s->mode) : "a lock");
		doc_add(d, ROLE_NORMAL, "    pid %d (%s), user %s, client %s:", s->pid,
		        s->application && *s->application ? s->application : "no application_name",
		        s->user ? s->user : "?", s->client ? s->client : "local socket");
		doc_add(d, ROLE_DIM, "    %s", s->query && *s->query ? s->query : "(no query)");
	}
	if (past)
		doc_add(d, ROLE_RISK_HIGH,
		        "  PAST hold_limit (%llds): B rolls back now and lets them through, c "
		        "commits",
		        (long long)(limit / 1000));
	doc_add(d, ROLE_NORMAL, "%s", "");
}

static void view_blocker(struct doc *d, const struct activity_session *s)
{
	char age[40] = "no transaction";
	if (s->xact_age_s >= 0)
		snprintf(age, sizeof age, "transaction %llds", (long long)s->xact_age_s);
	/* Who holds what, and that it is us who wait. */
	doc_add(d, ROLE_NORMAL, "  pid %d (%s) %s %s%s%s: we wait for it", s->pid,
	        s->application && *s->application ? s->application : "no application_name",
	        s->granted ? "holds" : "is queued ahead of us for",
	        s->mode ? risk_lock_name(s->mode) : "a lock", s->relation ? " on " : "",
	        s->relation ? s->relation : "");
	doc_add(d, ROLE_DIM, "    user %s, %s, %s, client %s:", s->user ? s->user : "?",
	        s->state ? s->state : "?", age, s->client ? s->client : "local socket");
	doc_add(d, ROLE_DIM, "    %s", s->query && *s->query ? s->query : "(no query)");
}

/* Who the statement waits for; between attempts, who it waited for last. */
static void view_blockers(struct doc *d, const struct run *rn)
{
	const struct watch_state *ws = rn->watch.w ? watch_state(rn->watch.w) : NULL;
	if (ws && ws->rows.n_blockers) {
		doc_add(d, ROLE_RISK_HIGH, "%s", "Waiting for a lock held or requested first by:");
		for (size_t i = 0; i < ws->rows.n_blockers; i++)
			view_blocker(d, &ws->rows.blockers[i]);
	} else if (rn->has_last_blocker) {
		doc_add(d, ROLE_RISK_MEDIUM, "%s", "The last attempt waited for:");
		view_blocker(d, &rn->last_blocker);
	} else {
		return;
	}
	doc_add(d, ROLE_DIM, "  K cancels pid %d's query or terminates its session (asks first)",
	        rn->has_last_blocker ? rn->last_blocker.pid : ws->rows.blockers[0].pid);
}

/* Where the run stands, and what the keys do from here. */
static void view_position(struct app *app, struct doc *d, struct runner *r,
                          const struct run_position *pos)
{
	struct run *rn = app->run;
	/* Outside a transaction nothing can be rolled back: B only stops. */
	const char *stop = pos->in_transaction || runner_statement_in_transaction(r, pos->index)
	                       ? "B rolls back"
	                       : "B stops here (what ran stays: the migration is dirty)";
	if (pos->in_flight) {
		doc_add(d, ROLE_HEADING, "Running statement %zu: %lld.%01lld s", pos->index + 1,
		        (long long)pos->elapsed_ms / 1000,
		        (long long)(pos->elapsed_ms % 1000) / 100);
		if (pos->attempt > 1)
			doc_add(d, ROLE_RISK_MEDIUM,
			        "  attempt %d: %d lock wait%s so far (lock_timeout)", pos->attempt,
			        rn->retries, rn->retries == 1 ? "" : "s");
		view_blockers(d, rn);
		doc_add(d, ROLE_DIM, "%s", "C or Ctrl-C cancels it");
		return;
	}
	if (pos->backing_off) {
		doc_add(d, ROLE_RISK_MEDIUM,
		        "Statement %zu could not get its lock: retry %d in %lld ms (C cancels)",
		        pos->index + 1, rn->retries, (long long)pos->elapsed_ms);
		view_blockers(d, rn);
		return;
	}
	switch (pos->pause) {
	case RUN_PAUSE_STATEMENT:
		doc_add(d, ROLE_HEADING, "Next: statement %zu of %zu", pos->index + 1, pos->total);
		doc_add(d, ROLE_DIM,
		        "x runs it  R runs to the end  S skips it (with a reason)%s  %s",
		        pos->can_undo ? "  u undoes the last one" : "", stop);
		break;
	case RUN_PAUSE_COMMIT: {
		size_t skipped = 0;
		for (size_t i = 0; i < pos->total; i++)
			skipped += runner_statement_skipped(r, i);
		char extra[48] = "";
		if (skipped)
			snprintf(extra, sizeof extra, ", %zu skipped", skipped);
		doc_add(d, ROLE_HEADING,
		        "All statements of the open transaction ran (%zu of %zu%s)", pos->index,
		        pos->total, extra);
		doc_add(d, ROLE_DIM, "c commits  u undoes statement %zu  B rolls back", pos->index);
		break;
	}
	case RUN_PAUSE_FAILED:
		doc_add(d, ROLE_MSG_ERROR,
		        "Statement %zu %s and was rolled back to its savepoint:", pos->index + 1,
		        pos->error && strcmp(pos->error->sqlstate, "57014") == 0 ? "was cancelled"
		                                                                 : "failed");
		doc_add(d, ROLE_MSG_ERROR, "  %s",
		        pos->error && pos->error->msg ? pos->error->msg : "");
		doc_add(
		    d, ROLE_DIM, "%s",
		    "x retries it  u gives it up (leaves it unrun)  B rolls back the migration");
		doc_add(d, ROLE_DIM, "%s",
		        "S skips it: the run goes on without it, for a reason you type (recorded)");
		break;
	case RUN_PAUSE_NONE: break;
	}
}

/* The statement list: done, current (or failed), to come. */
/* A long migration shows the statements around the current one, so the
 * position, the next statement and the newest log lines stay on the
 * screen with it; the lines before and after are counted. */
#define VIEW_STMTS_BEFORE 2
#define VIEW_STMTS_AFTER  5

/* The statement list; returns the line of the current statement, counted
 * from the list's first line. */
static size_t view_statements(struct doc *d, const struct run *rn, struct migration *m,
                              struct runner *r, const struct run_position *pos)
{
	const struct migration_section *sec = run_section(rn, m);
	size_t from = 0, to = sec->stmts.n, at = pos->index;
	if (sec->stmts.n > VIEW_STMTS_BEFORE + VIEW_STMTS_AFTER + 3) {
		from = at > VIEW_STMTS_BEFORE ? at - VIEW_STMTS_BEFORE : 0;
		to = from + VIEW_STMTS_BEFORE + VIEW_STMTS_AFTER + 1;
		if (to > sec->stmts.n) {
			to = sec->stmts.n;
			from = to - (VIEW_STMTS_BEFORE + VIEW_STMTS_AFTER + 1);
		}
	}
	size_t line = 0;
	if (from > 0) {
		doc_add(d, ROLE_DIM, "   ... statements 1 to %zu before%s", from,
		        from <= at ? " (done)" : "");
		line++;
	}
	line += at >= from ? at - from : 0;
	for (size_t i = from; i < to; i++) {
		const struct statement *st = &sec->stmts.items[i];
		const char *mark = r && runner_statement_skipped(r, i) ? glyph->skipped
		                   : i < pos->index                    ? glyph->applied
		                   : i == pos->index && pos->pause == RUN_PAUSE_FAILED
		                       ? glyph->mfailed
		                   : i == pos->index && pos->pause != RUN_PAUSE_COMMIT ? ">"
		                                                                       : " ";
		char *first = xstrdup(st->sql);
		char *nl = strchr(first, '\n');
		if (nl)
			*nl = '\0';
		const struct risk_stmt *rs = run_risk_stmt(rn, m, i);
		struct risk_confirm c = {0};
		if (rs)
			risk_stmt_confirm(rs, &c);
		struct doc_line *l = doc_add(
		    d, i == pos->index ? ROLE_NORMAL : (i < pos->index ? ROLE_DIM : ROLE_NORMAL),
		    " %s %2zu  line %-4d %s%s%s", mark, i + 1, st->line,
		    c.kind == RISK_CONFIRM_TYPED  ? "[type] "
		    : c.kind != RISK_CONFIRM_NONE ? "[confirm] "
		                                  : "",
		    first, r && !runner_statement_in_transaction(r, i) ? "  (no transaction)" : "");
		if (i == pos->index)
			doc_span(l, 0, strlen(l->text), ROLE_SELECTED);
		free(first);
	}
	if (to < sec->stmts.n)
		doc_add(d, ROLE_DIM, "   ... statements %zu to %zu after", to + 1, sec->stmts.n);
	return line;
}

static void view_next(struct doc *d, const struct run *rn, struct migration *m,
                      const struct run_position *pos)
{
	const struct migration_section *sec = run_section(rn, m);
	if (pos->index >= sec->stmts.n || pos->pause == RUN_PAUSE_COMMIT)
		return;
	const struct statement *st = &sec->stmts.items[pos->index];
	doc_add(d, ROLE_NORMAL, "%s", "");
	if (pos->pause == RUN_PAUSE_FAILED && rn->failed.sql && pos->error)
		view_error_sql(d, st->sql, st->line, pos->error->position);
	else
		doc_add_sql(d, st->sql, st->line);
	const struct risk_stmt *rs = run_risk_stmt(rn, m, pos->index);
	if (!rs)
		return;
	doc_add_stmt_risk(d, rs, NULL);
	struct risk_confirm c;
	risk_stmt_confirm(rs, &c);
	if (c.kind == RISK_CONFIRM_TYPED)
		doc_add(d, ROLE_RISK_HIGH, "   can lose data: asks for the name %s to be typed",
		        c.typed_name ? c.typed_name : "?");
	else if (c.kind == RISK_CONFIRM_LOCK)
		doc_add(d, ROLE_RISK_MEDIUM, "   asks for a confirmation: %s on %s, which exists",
		        risk_lock_sql_name(c.lock_mode), c.lock_relation);
	else if (c.kind == RISK_CONFIRM_ERROR)
		doc_add(d, ROLE_RISK_HIGH, "   asks for a confirmation: an error-level finding");
}

static void view_summary(struct app *app, struct doc *d)
{
	struct run *rn = app->run;
	if (!rn->group.active)
		return;
	doc_add(d, ROLE_HEADING, "Group apply: %zu of %zu tenants done", rn->group.n_results,
	        rn->group.n_queue);
	for (size_t i = 0; i < rn->group.n_results; i++) {
		const struct run_result *res = &rn->group.results[i];
		struct doc_line *l =
		    doc_add(d, ROLE_NORMAL, "  %s %-20s %s",
		            res->rc == 0 ? glyph->ok
		            : res->ran   ? glyph->failed
		                         : glyph->skipped,
		            app->eng.tenants.items[res->tenant]->name, res->msg ? res->msg : "");
		doc_span(l, 2,
		         2 + strlen(res->rc == 0 ? glyph->ok
		                    : res->ran   ? glyph->failed
		                                 : glyph->skipped),
		         res->rc == 0 ? ROLE_OK : ROLE_FAILED);
	}
	doc_add(d, ROLE_NORMAL, "%s", "");
}

void run_view_build(struct app *app, struct doc *d, char *title, size_t title_len, size_t *anchor)
{
	*anchor = 0;
	struct run *rn = app->run;
	struct tenant *t = app->eng.tenants.items[rn->tenant];
	struct runner *r = rn->job ? job_runner(rn->job) : NULL;
	struct migration *m = run_migration(rn);
	size_t cur = rn->job ? job_current(rn->job) : 0, n = rn->job ? job_count(rn->job) : 0;
	if (m)
		snprintf(title, title_len, "Run: %s on %s, %s (%zu of %zu)", rn->title, t->name,
		         migration_label(m), cur + 1, n);
	else
		snprintf(title, title_len, "Run: %s on %s", rn->title, t->name);
	view_summary(app, d);
	for (size_t i = 0; i < rn->done.n; i++)
		doc_add(d, ROLE_OK, "%s", rn->done.items[i]);
	if (r && m) {
		struct run_position pos;
		runner_position(r, &pos);
		const struct migration_section *sec = run_section(rn, m);
		bool any_txn = false;
		for (size_t i = 0; i < sec->stmts.n; i++)
			any_txn |= runner_statement_in_transaction(r, i);
		doc_add(d, ROLE_HEADING, "%s %s on %s: %zu statement%s%s",
		        rn->jo.kind == JOB_UP ? "Applying" : "Rolling back", migration_label(m),
		        t->name, sec->stmts.n, sec->stmts.n == 1 ? "" : "s",
		        pos.in_transaction ? ", transaction open" : "");
		view_hold_banner(app, d);
		if (!any_txn)
			doc_add(d, ROLE_RISK_MEDIUM, "%s",
			        "Runs outside a transaction, statement by statement: a statement "
			        "cannot be undone once it ran.");
		*anchor = d->n;
		size_t at = view_statements(d, rn, m, r, &pos);
		if (pos.index < sec->stmts.n)
			*anchor += at;
		/* The newest log line, in sight with the statements (the whole
		 * log is at the end, below a long migration). */
		if (rn->log.n)
			doc_add(d, ROLE_DIM, "   last: %s", rn->log.items[rn->log.n - 1]);
		doc_add(d, ROLE_NORMAL, "%s", "");
		view_position(app, d, r, &pos);
		view_next(d, rn, m, &pos);
	} else if (rn->job) {
		doc_add(d, ROLE_LOADING, "%s starting%s", glyph->loading, glyph->ellipsis);
	} else if (rn->outcome) {
		doc_add(d,
		        rn->rc == 0     ? ROLE_OK
		        : rn->discarded ? ROLE_HEADING
		                        : ROLE_MSG_ERROR,
		        /* stopped on request: not a success, not a failure */
		        "%s %s",
		        rn->rc == 0     ? glyph->ok
		        : rn->discarded ? glyph->pending
		                        : glyph->failed,
		        rn->outcome);
		if (rn->rc != 0 && !rn->discarded && !rn->group.active && rn->failed.sql) {
			doc_add(d, ROLE_NORMAL, "Statement %zu (line %d):", rn->failed.index + 1,
			        rn->failed.line);
			view_error_sql(d, rn->failed.sql, rn->failed.line, rn->failed.position);
		}
		doc_add(d, ROLE_DIM, "%s", "Esc closes this view");
	}
	doc_add(d, ROLE_NORMAL, "%s", "");
	doc_add(d, ROLE_HEADING, "%s", "Log");
	/* Newest last, as a log reads; the pane scrolls to it. */
	size_t from = rn->log.n > 12 ? rn->log.n - 12 : 0;
	for (size_t i = from; i < rn->log.n; i++)
		doc_add(d, ROLE_DIM, "  %s", rn->log.items[i]);
}
