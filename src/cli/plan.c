/* plan: `pgstep plan`, the migrations `up` would apply to each tenant with
 * what they will do there: each statement's locks with the relation's size
 * and row estimate, the findings of the risk engine (scaled by those
 * sizes), the sessions that would block it, INVALID indexes, the database's
 * long-running and idle-in-transaction sessions, and with --preflight the
 * data checks with their queries and results. Text or JSON, one tenant at a
 * time as it is analysed. Exit: 0, or 5 when a tenant could not be reached
 * (its offline analysis is still shown), 2 for usage problems, 1 when
 * --fail-on is given and a finding or a preflight result reaches it. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pgstep/json.h"
#include "pgstep/plan_risk.h"
#include "pgstep/settings.h"
#include "pgstep/status.h"
#include "pgstep/strbuf.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

#define PLAN_USAGE                                                                                 \
	"plan [--tenant T]... [--group k=v]... [--all] [--to V] [--resume] [--preflight]\n"        \
	"       [--fail-on error|warn|info] [--verbose] [--json]"

/* ---- words -------------------------------------------------------------------- */

static char *fmt_age(int64_t s)
{
	if (s < 60)
		return xasprintf("%llds", (long long)s);
	if (s < 3600)
		return xasprintf("%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
	return xasprintf("%lldh %02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
}

/* "4000 rows, 1.2 MB", "empty", "new in this migration", ... */
static char *fmt_size(const struct plan_risk *r, const struct risk_lock_claim *l,
                      const struct activity_relation *a)
{
	if (l->new_relation)
		return xstrdup(strvec_find(&r->plan_new, l->relation) >= 0
		                   ? "created earlier in this plan"
		                   : "created earlier in this migration");
	if (l->catalog)
		return xstrdup("system catalog");
	if (!a)
		return NULL; /* offline */
	if (!a->size.exists)
		return xstrdup("does not exist yet");
	char *bytes = text_bytes(a->size.bytes);
	char *out;
	if (a->size.rows == 0)
		out = xasprintf("empty, %s", bytes);
	else if (a->size.rows > 0)
		out = xasprintf("about %lld rows, %s", (long long)a->size.rows, bytes);
	else
		out = xasprintf("%s, rows unknown (not analyzed since it grew)", bytes);
	free(bytes);
	return out;
}

/* "pid 42 (alice, psql, 10.0.0.5)" */
static char *fmt_who(const struct activity_session *s)
{
	struct strbuf sb;
	strbuf_init(&sb);
	if (s->pid)
		strbuf_addf(&sb, "pid %d", s->pid);
	else
		strbuf_adds(&sb, "no session");
	const char *parts[3] = {s->user, s->application && *s->application ? s->application : NULL,
	                        s->client};
	const char *sep = " (";
	for (size_t i = 0; i < 3; i++) {
		if (!parts[i])
			continue;
		strbuf_addf(&sb, "%s%s", sep, parts[i]);
		sep = ", ";
	}
	if (strcmp(sep, ", ") == 0)
		strbuf_addc(&sb, ')');
	return strbuf_detach(&sb);
}

/* "idle in transaction for 2m 10s", "active, in a transaction for 5m 00s" */
static char *fmt_state(const struct activity_session *s)
{
	const char *state = s->state ? s->state : "state unknown";
	bool idle_in_xact = strncmp(state, "idle in transaction", 19) == 0 || s->pid == 0;
	int64_t age = s->xact_age_s >= 0 ? s->xact_age_s : s->state_age_s;
	if (age < 0)
		return xstrdup(state);
	char *a = fmt_age(age);
	char *out =
	    xasprintf("%s%s%s", state,
	              idle_in_xact || s->xact_age_s < 0 ? " for " : ", in a transaction for ", a);
	free(a);
	return out;
}

/* ---- text ----------------------------------------------------------------------- */

struct plan_text {
	const struct cli_globals *g;
	const struct config *cfg;
	bool verbose;
	struct strbuf *out; /* a tenant's lines, wrapped when it is done */
};

__attribute__((format(printf, 2, 3))) static void tp(const struct plan_text *pt, const char *fmt,
                                                     ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(pt->out, fmt, ap);
	va_end(ap);
}

/* Print the buffered lines wrapped to the terminal: a line that wraps
 * continues four columns deeper than it starts, so the outline stays. */
static void tp_flush(const struct plan_text *pt)
{
	struct strbuf sb;
	strbuf_init(&sb);
	const char *line = pt->out->buf ? pt->out->buf : "";
	while (*line) {
		size_t n = strcspn(line, "\n"), lead = strspn(line, " ");
		char *one = xstrndup(line, n), indent[64];
		snprintf(indent, sizeof indent, "%*s", (int)(lead + 4 < 60 ? lead + 4 : 60), "");
		text_wrap(&sb, one, pt->g->width, indent);
		free(one);
		line += n + (line[n] == '\n');
	}
	fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
	strbuf_reset(pt->out);
}

/* "<indent><lead>pid 42 (alice, psql): <what>, idle in transaction for 3s: query" */
static void text_session(const struct plan_text *pt, const char *indent, const char *lead,
                         const struct activity_session *s, const char *what)
{
	char *who = fmt_who(s), *st = fmt_state(s);
	tp(pt, "%s%s%s: %s%s%s%s%s%s%s\n", indent, lead, cli_safe(who), what ? what : "",
	   what ? ", " : "", cli_safe(st), s->wait_event ? ", waiting on " : "",
	   s->wait_event ? cli_safe(s->wait_event) : "", s->query && *s->query ? ": " : "",
	   s->query ? cli_safe(s->query) : "");
	if (s->n_blocked_by && pt->verbose) {
		tp(pt, "%s  itself blocked by pid", indent);
		for (size_t i = 0; i < s->n_blocked_by; i++)
			tp(pt, "%s %d", i ? "," : "", s->blocked_by[i]);
		tp(pt, "\n");
	}
	free(who);
	free(st);
}

/* The sessions on a claimed relation: those whose lock conflicts (they
 * would make the statement wait, and everyone behind it) always; the
 * others with --verbose. */
static void text_lock(const struct plan_text *pt, const struct plan_risk *r,
                      const struct risk_lock_claim *l, struct strvec *shown_invalid)
{
	const struct activity_relation *a =
	    r->connected ? activity_find(&r->facts, l->relation) : NULL;
	char *size = fmt_size(r, l, a);
	tp(pt, "      %s on %s%s%s%s\n", risk_lock_name(l->mode), cli_safe(l->relation),
	   size ? " (" : "", size ? size : "", size ? ")" : "");
	free(size);
	if (!a)
		return;
	size_t quiet = 0;
	for (size_t i = 0; i < a->n_sessions; i++) {
		const struct activity_session *s = &a->sessions[i];
		bool blocks = activity_session_blocks(s, l->mode);
		if (!blocks && !pt->verbose) {
			quiet++;
			continue;
		}
		char *what = xasprintf("%s %s%s", s->granted ? "holds" : "queued for",
		                       risk_lock_name(s->mode), s->granted ? "" : " ahead of it");
		text_session(pt, "        ", blocks ? "blocked by " : "also on it: ", s, what);
		free(what);
	}
	if (quiet)
		tp(pt,
		   "        (%zu more session%s with locks that do not conflict; --verbose "
		   "lists them)\n",
		   quiet, quiet == 1 ? "" : "s");
	for (size_t i = 0; i < a->n_invalid; i++) {
		const struct activity_index *x = &a->invalid[i];
		if (strvec_find(shown_invalid, x->name) >= 0)
			continue;
		strvec_push(shown_invalid, x->name);
		if (x->building)
			tp(pt,
			   "        INVALID index %s: a CREATE INDEX CONCURRENTLY is building it "
			   "now",
			   cli_safe(x->name));
		else
			tp(pt,
			   "        INVALID index %s: left by a failed or cancelled CREATE INDEX "
			   "CONCURRENTLY; writes maintain it, queries do not use it, and CREATE "
			   "INDEX IF NOT EXISTS with its name skips it: DROP INDEX CONCURRENTLY "
			   "it before building it again",
			   cli_safe(x->name));
		tp(pt, "%s%s%s\n", x->definition ? " (" : "",
		   x->definition ? cli_safe(x->definition) : "", x->definition ? ")" : "");
	}
}

static void text_stmt(const struct plan_text *pt, const struct plan_risk *r,
                      const struct risk_stmt *st, struct strvec *shown_invalid)
{
	size_t shown = 0;
	for (size_t i = 0; i < st->n_findings; i++)
		shown += !st->findings[i].allowed;
	if (!pt->verbose && st->n_locks == 0 && shown == 0)
		return;
	tp(pt, "    line %d: %s\n", st->line, cli_safe(st->kind));
	if (pt->verbose && st->explain)
		tp(pt, "      %s\n", cli_safe(st->explain));
	for (size_t i = 0; i < st->n_locks; i++)
		text_lock(pt, r, &st->locks[i], shown_invalid);
	for (size_t i = 0; i < st->n_findings; i++) {
		const struct risk_finding *f = &st->findings[i];
		if (f->allowed)
			continue;
		bool safer = f->severity != RISK_INFO || pt->verbose;
		cli_finding_format(pt->out, pt->g, "      ", f, safer ? "        " : NULL);
	}
}

static void text_check(const struct plan_text *pt, const struct plan_risk *r,
                       const struct preflight_check *c)
{
	tp(pt, "      line %d  %s  %s\n", c->line, preflight_kind_name(c->kind), cli_safe(c->what));
	if (c->sql)
		tp(pt, "        %s\n", cli_safe(c->sql));
	const char *red = cli_severity_color(pt->g, c->severity), *reset = cli_reset(pt->g);
	switch (c->status) {
	case PREFLIGHT_OK: tp(pt, "        => ok: no rows\n"); break;
	case PREFLIGHT_FOUND:
		tp(pt, "        => %s%s%s: %lld row%s %s", red, risk_severity_name(c->severity),
		   reset, (long long)c->count, c->count == 1 ? "" : "s",
		   c->severity == RISK_ERROR ? "(the migration fails)" : "(silently changed)");
		for (size_t i = 0; i < c->samples.n; i++) {
			tp(pt, "%s%s", i ? ", " : "; e.g. ", cli_safe(c->samples.items[i]));
			if (c->sample_rows[i] > 1)
				tp(pt, " (%lld rows)", (long long)c->sample_rows[i]);
		}
		tp(pt, "\n");
		break;
	case PREFLIGHT_SKIPPED: tp(pt, "        => skipped: %s\n", cli_safe(c->note)); break;
	case PREFLIGHT_ERROR: tp(pt, "        => not checked: %s\n", cli_safe(c->error)); break;
	case PREFLIGHT_PENDING:
		tp(pt, "        => not run: %s\n",
		   r->connected ? "not attempted" : "the tenant could not be reached");
		break;
	}
	if (c->note && c->status != PREFLIGHT_SKIPPED)
		tp(pt, "           (%s)\n", cli_safe(c->note));
}

static void text_tenant(const struct plan_text *pt, const struct plan_risk *r)
{
	const char *name = cli_safe(r->tenant->name);
	if (!r->state_known)
		tp(pt,
		   "%s: unreachable (%s)\n  offline analysis of every migration in the set, "
		   "applied or not: no sizes, sessions or preflight results\n",
		   name, cli_safe(r->offline_reason));
	else if (!r->connected)
		tp(pt, "%s: %zu to apply (offline: %s)\n", name, r->n, cli_safe(r->offline_reason));
	else
		tp(pt, "%s: %zu to apply\n", name, r->n);
	if (r->plan_new.n) {
		bool one = r->plan_new.n == 1;
		tp(pt,
		   "  %zu relation%s created by earlier migrations of this plan %s new and empty "
		   "in the later ones: no findings about existing rows or running code for %s\n",
		   r->plan_new.n, one ? "" : "s", one ? "is" : "are", one ? "it" : "them");
	}
	/* The migrations' column is as wide as its longest name, so the
	 * counts and modes line up. */
	int w = 28;
	for (size_t i = 0; i < r->n; i++) {
		int lw = text_width(cli_safe(migration_label(r->items[i].m)));
		w = lw > w ? lw : w;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct plan_risk_item *it = &r->items[i];
		struct migration *m = it->m;
		struct settings set;
		settings_of(pt->cfg, m, false, &set);
		const char *label = cli_safe(migration_label(m));
		tp(pt, "  %s%*s %2zu stmt  %-6s %s%s\n", label, w - text_width(label), "",
		   m->up.stmts.n, settings_txn_name(set.txn),
		   migration_reversible(m) ? "" : "irreversible  ",
		   pt->verbose && m->note ? cli_safe(m->note) : "");
		struct strbuf sb;
		strbuf_init(&sb);
		cli_settings_text(&sb, &set, true);
		tp(pt, "    %s\n", sb.buf);
		strbuf_release(&sb);
		struct strvec shown_invalid;
		strvec_init(&shown_invalid);
		for (size_t k = 0; k < it->rep.up.n_problems; k++) {
			char *lead = xasprintf("    line %d: ", it->rep.up.problems[k].line);
			cli_problem_format(pt->out, pt->g, lead, &it->rep.up.problems[k]);
			free(lead);
		}
		for (size_t k = 0; k < it->rep.up.n_stmts; k++)
			text_stmt(pt, r, &it->rep.up.stmts[k], &shown_invalid);
		strvec_clear(&shown_invalid);
		if (it->checks.n)
			tp(pt, "    preflight (read-only, statement_timeout %lld ms):\n",
			   (long long)r->preflight_timeout_ms);
		for (size_t k = 0; k < it->checks.n; k++)
			text_check(pt, r, &it->checks.items[k]);
	}
	if (r->facts.n_long) {
		tp(pt,
		   "  sessions in a transaction for over %d s or idle in one: each makes an "
		   "ACCESS EXCLUSIVE request wait, and everyone queued behind it:\n",
		   ACTIVITY_LONG_RUNNING_S);
		for (size_t i = 0; i < r->facts.n_long; i++)
			text_session(pt, "    ", "", &r->facts.long_running[i], NULL);
	}
	if (r->facts_error)
		tp(pt, "  note: some facts are missing: %s\n", cli_safe(r->facts_error));
	tp_flush(pt);
}

/* ---- JSON ----------------------------------------------------------------------- */

static void json_session(struct json *j, const struct activity_session *s, bool on_relation,
                         enum risk_lock mode)
{
	json_begin_object(j);
	if (s->pid)
		json_kv_int(j, "pid", s->pid);
	else {
		json_key(j, "pid");
		json_null(j);
	}
	json_kv_string(j, "user", s->user);
	json_kv_string(j, "application", s->application);
	json_kv_string(j, "client", s->client);
	json_kv_string(j, "state", s->state);
	json_kv_string(j, "query", s->query);
	json_kv_string(j, "wait_event", s->wait_event);
	json_key(j, "xact_age_s");
	if (s->xact_age_s >= 0)
		json_int(j, s->xact_age_s);
	else
		json_null(j);
	if (on_relation) {
		json_kv_string(j, "mode", risk_lock_name(s->mode));
		json_kv_bool(j, "granted", s->granted);
		json_kv_bool(j, "blocks", activity_session_blocks(s, mode));
		json_key(j, "blocked_by");
		json_begin_array(j);
		for (size_t i = 0; i < s->n_blocked_by; i++)
			json_int(j, s->blocked_by[i]);
		json_end_array(j);
	}
	json_end_object(j);
}

static void json_facts(struct json *j, const struct risk_stmt *st, void *ctx)
{
	const struct plan_risk *r = ctx;
	json_key(j, "facts");
	json_begin_array(j);
	for (size_t i = 0; i < st->n_locks; i++) {
		const struct risk_lock_claim *l = &st->locks[i];
		const struct activity_relation *a =
		    r->connected ? activity_find(&r->facts, l->relation) : NULL;
		json_begin_object(j);
		json_kv_string(j, "relation", l->relation);
		json_kv_string(j, "mode", risk_lock_name(l->mode));
		json_kv_bool(j, "new", l->new_relation);
		if (a) {
			json_kv_bool(j, "exists", a->size.exists);
			json_key(j, "rows");
			if (a->size.rows >= 0)
				json_int(j, a->size.rows);
			else
				json_null(j);
			json_key(j, "bytes");
			if (a->size.bytes >= 0)
				json_int(j, a->size.bytes);
			else
				json_null(j);
			json_key(j, "sessions");
			json_begin_array(j);
			for (size_t k = 0; k < a->n_sessions; k++)
				json_session(j, &a->sessions[k], true, l->mode);
			json_end_array(j);
			json_key(j, "invalid_indexes");
			json_begin_array(j);
			for (size_t k = 0; k < a->n_invalid; k++) {
				json_begin_object(j);
				json_kv_string(j, "name", a->invalid[k].name);
				json_kv_string(j, "definition", a->invalid[k].definition);
				json_kv_bool(j, "building", a->invalid[k].building);
				json_end_object(j);
			}
			json_end_array(j);
		}
		json_end_object(j);
	}
	json_end_array(j);
}

static void json_check(struct json *j, const struct preflight_check *c)
{
	json_begin_object(j);
	json_kv_int(j, "line", c->line);
	json_kv_string(j, "check", preflight_kind_name(c->kind));
	json_kv_string(j, "relation", c->relation);
	json_kv_string(j, "what", c->what);
	json_kv_string(j, "query", c->sql);
	json_kv_string(j, "severity", risk_severity_name(c->severity));
	json_kv_string(j, "status", preflight_status_name(c->status));
	json_key(j, "count");
	if (c->status == PREFLIGHT_OK || c->status == PREFLIGHT_FOUND)
		json_int(j, c->count);
	else
		json_null(j);
	json_key(j, "samples");
	json_begin_array(j);
	for (size_t i = 0; i < c->samples.n; i++) {
		json_begin_object(j);
		json_kv_string(j, "value", c->samples.items[i]);
		json_kv_int(j, "rows", c->sample_rows[i]);
		json_end_object(j);
	}
	json_end_array(j);
	json_kv_string(j, "note", c->note);
	json_kv_string(j, "error", c->error);
	json_end_object(j);
}

static void json_tenant(struct json *j, const struct config *cfg, const struct plan_risk *r,
                        const char *error)
{
	json_begin_object(j);
	json_kv_string(j, "name", r->tenant->name);
	json_kv_string(j, "error", error);
	json_kv_bool(j, "connected", r->connected);
	json_kv_string(j, "offline_reason", r->offline_reason);
	json_kv_bool(j, "state_known", r->state_known);
	json_kv_string(j, "facts_error", r->facts_error);
	json_key(j, "new_in_plan"); /* created by an earlier migration of the plan */
	json_begin_array(j);
	for (size_t i = 0; i < r->plan_new.n; i++)
		json_string(j, r->plan_new.items[i]);
	json_end_array(j);
	json_key(j, "pending");
	json_begin_array(j);
	for (size_t i = 0; i < r->n; i++) {
		const struct plan_risk_item *it = &r->items[i];
		struct migration *m = it->m;
		json_begin_object(j);
		json_kv_string(j, "version", m->version.text);
		json_kv_string(j, "name", m->name);
		json_kv_string(j, "phase", m->phase);
		json_kv_string(j, "file", m->up.path);
		json_kv_string(j, "note", m->note);
		json_kv_int(j, "statement_count", (int64_t)m->up.stmts.n);
		struct settings set;
		settings_of(cfg, m, false, &set);
		json_kv_string(j, "transaction", settings_txn_name(set.txn));
		cli_settings_json(j, &set, true);
		json_kv_bool(j, "reversible", migration_reversible(m));
		json_key(j, "statements");
		json_begin_array(j);
		for (size_t k = 0; k < it->rep.up.n_stmts; k++)
			cli_stmt_json(j, &it->rep.up.stmts[k], json_facts, (void *)r);
		json_end_array(j);
		json_key(j, "errors");
		json_begin_array(j);
		cli_problems_json(j, &it->rep.up);
		json_end_array(j);
		json_key(j, "preflight");
		json_begin_array(j);
		for (size_t k = 0; k < it->checks.n; k++)
			json_check(j, &it->checks.items[k]);
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
	json_key(j, "long_running");
	json_begin_array(j);
	for (size_t i = 0; i < r->facts.n_long; i++)
		json_session(j, &r->facts.long_running[i], false, RISK_LOCK_NONE);
	json_end_array(j);
	json_end_object(j);
}

/* ---- the command ------------------------------------------------------------------ */

int cli_plan_show(const struct cli_globals *g, struct cli_command *c,
                  const struct plan_risk_options *po, bool verbose, int fail_on, size_t *total)
{
	struct status_report st;
	status_collect(c->e.set, c->ts, c->n, &st);
	struct strbuf text;
	strbuf_init(&text);
	struct plan_text pt = {.g = g, .cfg = c->e.cfg, .verbose = verbose, .out = &text};
	struct strbuf sb;
	struct json j;
	cli_json_tenants_begin(&j, &sb);
	int rc = PGSTEP_EXIT_OK;
	bool failing = false;
	*total = 0;
	for (size_t i = 0; i < st.n; i++) {
		struct plan_risk r;
		struct pgstep_error err = {0};
		if (!plan_risk_tenant(&c->e, &st.items[i], po, &r, &err)) {
			/* In the plan, where the tenant's block would be (as for an
			 * unreachable one): a plan that is only an exit code reads as
			 * "nothing to do". */
			if (!g->json) {
				char *prefix = xasprintf("tenant %s", st.items[i].tenant->name);
				printf("%s: not planned: %s\n", cli_safe(st.items[i].tenant->name),
				       cli_safe(
				           error_unprefixed(err.msg ? err.msg : "failed", prefix)));
				free(prefix);
			}
			rc = cli_worst_exit(rc, err.code ? err.code : PGSTEP_EXIT_FAILED);
			json_tenant(&j, c->e.cfg, &r, err.msg);
		} else {
			if (g->json)
				json_tenant(&j, c->e.cfg, &r, NULL);
			else
				text_tenant(&pt, &r);
			if (r.offline_reason)
				rc = cli_worst_exit(rc, r.offline_code);
			else
				*total += r.n;
			int worst = plan_risk_worst(&r);
			failing |= fail_on >= 0 && worst >= 0 && worst >= fail_on;
		}
		plan_risk_clear(&r);
		error_clear(&err);
		/* Written as it goes: a big fleet's plan is long. */
		if (g->json) {
			fwrite(sb.buf, 1, sb.len, stdout);
			strbuf_reset(&sb);
		}
		fflush(stdout);
	}
	cli_json_tenants_end(&j, &sb, g->json);
	strbuf_release(&text);
	status_report_clear(&st);
	if (failing)
		rc = cli_worst_exit(rc, PGSTEP_EXIT_FAILED);
	return rc;
}

int cli_plan(const struct cli_globals *g, int argc, char **argv)
{
	struct cli_command c = {0};
	int rc =
	    cli_parse(argc, argv,
	              OPT_SELECT | OPT_TO | OPT_RESUME | OPT_PREFLIGHT | OPT_FAIL_ON | OPT_VERBOSE,
	              PLAN_USAGE, &c.o);
	if (rc >= 0)
		return rc;
	enum risk_severity fail_on = RISK_ERROR;
	if (c.o.fail_on && !risk_severity_parse(c.o.fail_on, &fail_on)) {
		fprintf(stderr, "pgstep plan: --fail-on takes error, warn or info, not \"%s\"\n",
		        cli_safe(c.o.fail_on));
		return PGSTEP_EXIT_USAGE;
	}
	c.check_sql = true;
	if ((rc = cli_command_open(g, &c, true)) >= 0)
		return rc;
	struct plan_risk_options po = {
	    .to = c.o.to, .resume = c.o.resume, .preflight = c.o.preflight};
	size_t total;
	rc = cli_plan_show(g, &c, &po, c.o.verbose, c.o.fail_on ? (int)fail_on : -1, &total);
	cli_command_close(&c);
	return rc;
}
