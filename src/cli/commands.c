/* commands: status, up, down, history, verify, repair, and what the
 * commands share (opening the project, the exit code over tenants). Each
 * parses its options, opens the project through the engine and prints the
 * answer; `plan` is in plan.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pgstep/anchor.h"
#include "pgstep/event_text.h"
#include "pgstep/json.h"
#include "pgstep/plan_risk.h"
#include "pgstep/ops.h"
#include "pgstep/status.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

int cli_command_open(const struct cli_globals *g, struct cli_command *c, bool default_all)
{
	struct pgstep_error err = {0};
	struct engine *e = &c->e;
	int rc = -1;
	memset(e, 0, sizeof *e);
	c->ts = NULL;
	c->n = 0;
	if (!engine_open(e, g->config_path, &err)) {
		cli_diags(g, &e->diags);
		rc = cli_fail(&err);
		goto fail;
	}
	if (c->check_sql)
		engine_check_sql(e);
	cli_diags(g, &e->diags);
	if (engine_set_has_errors(e)) {
		fprintf(stderr, "pgstep: %s: %zu error(s) in the migration set\n",
		        cli_safe(e->set->dir), diag_count(&e->diags, DIAG_ERROR));
		rc = PGSTEP_EXIT_USAGE;
		goto fail;
	}
	struct selection sel = {
	    .names = c->o.tenants,
	    .n_names = c->o.n_tenants,
	    .groups = c->o.groups,
	    .n_groups = c->o.n_groups,
	    .all = c->o.all,
	};
	if (!engine_select(e, &sel, default_all, &c->ts, &c->n, &err)) {
		rc = cli_fail(&err);
		goto fail;
	}
	return -1;
fail:
	error_clear(&err);
	engine_close(e);
	return rc;
}

void cli_command_close(struct cli_command *c)
{
	free(c->ts);
	engine_close(&c->e);
}

int cli_worst_exit(int a, int b)
{
	static const int order[] = {PGSTEP_EXIT_FAILED, PGSTEP_EXIT_LOCKED, PGSTEP_EXIT_CONNECTION,
	                            PGSTEP_EXIT_DRIFT, PGSTEP_EXIT_USAGE};
	for (size_t i = 0; i < sizeof order / sizeof *order; i++)
		if (a == order[i] || b == order[i])
			return order[i];
	return a ? a : b;
}

/* Both may come from a row of the tenant's database: escaped for text
 * (cli_safe), raw for JSON (which escapes its own way). */
static const char *version_raw(const struct mig_status *ms)
{
	if (ms->m)
		return ms->m->version.text;
	return ms->row->version_text ? ms->row->version_text : ms->row->version;
}

static const char *name_raw(const struct mig_status *ms)
{
	return ms->m ? ms->m->name : (ms->row->name ? ms->row->name : "");
}

static const char *version_text(const struct mig_status *ms)
{
	return cli_safe(version_raw(ms));
}

static const char *status_name_of(const struct mig_status *ms)
{
	return cli_safe(name_raw(ms));
}

/* Written out as it grows: 1,000 tenants x 100 migrations is megabytes. */
static void json_flush(struct strbuf *sb, size_t at_least)
{
	if (sb->len < at_least)
		return;
	fwrite(sb->buf, 1, sb->len, stdout);
	strbuf_reset(sb);
}

static void status_json(const struct status_report *r, struct strbuf *sb)
{
	struct json j;
	json_init(&j, sb);
	json_begin_object(&j);
	json_key(&j, "tenants");
	json_begin_array(&j);
	for (size_t i = 0; i < r->n; i++) {
		const struct tenant_status *ts = &r->items[i];
		json_begin_object(&j);
		json_kv_string(&j, "name", ts->tenant->name);
		json_kv_string(&j, "schema", ts->tenant->schema);
		json_key(&j, "labels");
		json_begin_object(&j);
		for (size_t l = 0; l < ts->tenant->n_labels; l++)
			json_kv_string(&j, ts->tenant->labels[l].key, ts->tenant->labels[l].value);
		json_end_object(&j);
		json_kv_string(&j, "state", tenant_state_word(ts));
		json_kv_int(&j, "applied", ts->applied);
		json_kv_int(&j, "pending", ts->pending);
		json_kv_int(&j, "changed", ts->changed);
		json_kv_string(&j, "error", ts->error);
		json_key(&j, "migrations");
		json_begin_array(&j);
		for (size_t k = 0; k < ts->n && ts->state != TSTATE_UNREACHABLE; k++) {
			const struct mig_status *ms = &ts->items[k];
			json_begin_object(&j);
			json_kv_string(&j, "version", version_raw(ms));
			json_kv_string(&j, "name", name_raw(ms));
			json_kv_string(&j, "phase",
			               ms->m ? ms->m->phase
			                     : (ms->row->phase ? ms->row->phase : ""));
			json_kv_string(&j, "state", mstate_name(ms->state));
			json_kv_bool(&j, "checksum_ok", ms->checksum_ok);
			if (ms->row && (ms->state == MSTATE_DIRTY || ms->state == MSTATE_FAILED)) {
				json_kv_int(&j, "statements_done", ms->row->statements_done);
				json_kv_int(&j, "statements_total", ms->row->statements_total);
				json_kv_string(&j, "sqlstate", ms->row->sqlstate);
				json_kv_string(&j, "error", ms->row->error_message);
			}
			json_end_object(&j);
		}
		json_end_array(&j);
		json_end_object(&j);
		json_flush(sb, 65536);
	}
	json_end_array(&j);
	json_end_object(&j);
	strbuf_addc(sb, '\n');
	json_flush(sb, 0);
}

static void status_text(const struct cli_globals *g, const struct status_report *r, bool detail)
{
	size_t w = 6;
	for (size_t i = 0; i < r->n; i++)
		if (strlen(r->items[i].tenant->name) > w)
			w = strlen(r->items[i].tenant->name);
	printf("%-*s  %-11s  %7s  %7s  %s\n", (int)w, "TENANT", "STATE", "APPLIED", "PENDING",
	       "NOTE");
	for (size_t i = 0; i < r->n; i++) {
		const struct tenant_status *ts = &r->items[i];
		const char *st = tenant_state_word(ts);
		printf("%-*s  %s%-11s%s  ", (int)w, ts->tenant->name, cli_color(g, st), st,
		       cli_reset(g));
		if (ts->state == TSTATE_UNREACHABLE) {
			printf("%7s  %7s  %s\n", "-", "-", cli_safe(ts->error));
			continue;
		}
		printf("%7d  %7d  ", ts->applied, ts->pending);
		const char *sep = "";
		for (size_t k = 0; k < ts->n; k++) {
			const struct mig_status *ms = &ts->items[k];
			if (ms->state == MSTATE_DIRTY)
				printf("%s%s_%s dirty at statement %d of %d", sep, version_text(ms),
				       status_name_of(ms), ms->row->statements_done + 1,
				       ms->row->statements_total);
			else if (ms->state == MSTATE_FAILED)
				printf("%s%s_%s failed (%s)", sep, version_text(ms),
				       status_name_of(ms),
				       ms->row->sqlstate ? cli_safe(ms->row->sqlstate) : "error");
			else if (ms->state == MSTATE_APPLIED && !ms->checksum_ok)
				printf("%s%s_%s changed since applied", sep, version_text(ms),
				       status_name_of(ms));
			else
				continue;
			sep = "; ";
		}
		printf("\n");
	}
	if (!detail)
		return;
	for (size_t i = 0; i < r->n; i++) {
		const struct tenant_status *ts = &r->items[i];
		if (ts->state == TSTATE_UNREACHABLE)
			continue;
		printf("\n%s:\n", ts->tenant->name);
		const char *phase = NULL;
		for (size_t k = 0; k < ts->n; k++) {
			const struct mig_status *ms = &ts->items[k];
			const char *ph =
			    ms->m ? (ms->m->archived ? "archive" : ms->m->phase) : "(no file)";
			if (!phase || strcmp(phase, ph) != 0) {
				if (*ph)
					printf("  %s\n", cli_safe(ph));
				phase = ph;
			}
			const char *st = mstate_name(ms->state);
			printf("    %s%-11s%s %s_%s%s\n", cli_color(g, st), st, cli_reset(g),
			       version_text(ms), status_name_of(ms),
			       ms->checksum_ok ? "" : "  (file changed since applied)");
		}
	}
}

int cli_status(const struct cli_globals *g, int argc, char **argv)
{
	struct cli_command c = {0};
	int rc =
	    cli_parse(argc, argv, OPT_SELECT | OPT_CHECK,
	              "status [--tenant T]... [--group k=v]... [--all] [--check] [--json]", &c.o);
	if (rc >= 0)
		return rc;
	if ((rc = cli_command_open(g, &c, true)) >= 0)
		return rc;
	struct status_report r;
	status_collect(c.e.set, c.ts, c.n, &r);
	if (g->json) {
		struct strbuf sb;
		strbuf_init(&sb);
		status_json(&r, &sb);
		strbuf_release(&sb);
	} else {
		status_text(g, &r, c.o.n_tenants == 1);
	}
	rc = PGSTEP_EXIT_OK;
	for (size_t i = 0; i < r.n; i++) {
		const struct tenant_status *t = &r.items[i];
		if (t->state == TSTATE_UNREACHABLE) {
			rc = cli_worst_exit(rc, t->error_code);
			continue;
		}
		bool drift = t->state != TSTATE_OK;
		for (size_t k = 0; k < t->n; k++)
			drift |= !t->items[k].checksum_ok;
		if (c.o.check && drift)
			rc = cli_worst_exit(rc, PGSTEP_EXIT_DRIFT);
	}
	status_report_clear(&r);
	cli_command_close(&c);
	return rc;
}

struct outcome {
	const char *tenant;
	int rc;
	char *error;
};

static void outcomes_print(const struct cli_globals *g, const char *verb, struct outcome *out,
                           size_t n)
{
	if (g->json) {
		struct strbuf sb;
		struct json j;
		cli_json_tenants_begin(&j, &sb);
		for (size_t i = 0; i < n; i++) {
			json_begin_object(&j);
			json_kv_string(&j, "name", out[i].tenant);
			json_kv_string(&j, "result",
			               out[i].rc == PGSTEP_EXIT_OK           ? "ok"
			               : out[i].rc == -1                     ? "not attempted"
			               : out[i].rc == PGSTEP_EXIT_LOCKED     ? "locked"
			               : out[i].rc == PGSTEP_EXIT_CONNECTION ? "unreachable"
			                                                     : "failed");
			json_kv_int(&j, "exit", out[i].rc < 0 ? 0 : out[i].rc);
			json_kv_string(&j, "error", out[i].error);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_end_object(&j);
		printf("%s\n", sb.buf);
		strbuf_release(&sb);
		return;
	}
	if (n < 2)
		return;
	printf("\nsummary (%s):\n", verb);
	for (size_t i = 0; i < n; i++)
		printf("  %-20s %s\n", out[i].tenant,
		       out[i].rc == PGSTEP_EXIT_OK       ? "ok"
		       : out[i].rc == -1                 ? "not attempted (stopped after a failure)"
		       : out[i].rc == PGSTEP_EXIT_LOCKED ? "locked by another pgstep"
		       : out[i].rc == PGSTEP_EXIT_CONNECTION ? "unreachable"
		                                             : "failed");
}

enum run_kind { RUN_KIND_UP, RUN_KIND_DOWN };

static int run_tenants(const struct cli_globals *g, struct engine *e, struct tenant **ts, size_t n,
                       enum run_kind kind, const struct up_options *uo,
                       const struct down_options *dn)
{
	struct outcome *out = xcalloc(n ? n : 1, sizeof *out);
	int rc = PGSTEP_EXIT_OK;
	bool stop = false;
	cli_observer(g, &e->obs);
	e->interrupted = cli_signals();
	for (size_t i = 0; i < n; i++) {
		out[i].tenant = ts[i]->name;
		if (stop || *e->interrupted) {
			out[i].rc = -1;
			continue;
		}
		struct pgstep_error err = {0};
		int r = kind == RUN_KIND_UP ? (int)ops_up(e, ts[i], uo, &err)
		                            : (int)ops_down(e, ts[i], dn, &err);
		out[i].rc = r;
		if (r != PGSTEP_EXIT_OK) {
			fprintf(stderr, "pgstep: %s\n", err.msg ? cli_safe(err.msg) : "failed");
			out[i].error = err.msg ? xstrdup(err.msg) : NULL;
			rc = cli_worst_exit(rc, r);
			/* A failed migration stops the run: it will likely fail on the
			 * next tenant too, and the DBA should look first. Unreachable or
			 * locked tenants don't. */
			stop = r == PGSTEP_EXIT_FAILED || r == PGSTEP_EXIT_USAGE;
		}
		error_clear(&err);
	}
	outcomes_print(g, kind == RUN_KIND_UP ? "up" : "down", out, n);
	for (size_t i = 0; i < n; i++)
		free(out[i].error);
	free(out);
	return rc;
}

int cli_up(const struct cli_globals *g, int argc, char **argv)
{
	struct cli_command c = {0};
	int rc = cli_parse(argc, argv, OPT_SELECT | OPT_TO | OPT_YES | OPT_DRY_RUN | OPT_RESUME,
	                   "up [--tenant T]... [--group k=v]... [--all] [--to V] [--resume] "
	                   "[--dry-run] [--yes]",
	                   &c.o);
	if (rc >= 0)
		return rc;
	c.check_sql = true;
	if ((rc = cli_command_open(g, &c, false)) >= 0)
		return rc;
	size_t total = 0;
	struct up_options uo = {.to = c.o.to, .resume = c.o.resume, .dry_run = c.o.dry_run};
	if (c.o.dry_run || !c.o.yes) {
		/* What will run, with its locks and risks, before anything does. */
		struct plan_risk_options po = {.to = c.o.to, .resume = c.o.resume};
		rc = cli_plan_show(g, &c, &po, false, -1, &total);
		if (c.o.dry_run || total == 0 || rc != PGSTEP_EXIT_OK) {
			if (!c.o.dry_run && total == 0 && rc == PGSTEP_EXIT_OK)
				printf("nothing to apply\n");
			goto out;
		}
		char *q = xasprintf("apply %zu migration(s) to %zu tenant(s)?", total, c.n);
		bool yes = cli_confirm(q);
		free(q);
		if (!yes) {
			rc = PGSTEP_EXIT_USAGE;
			goto out;
		}
	}
	rc = run_tenants(g, &c.e, c.ts, c.n, RUN_KIND_UP, &uo, NULL);
out:
	cli_command_close(&c);
	return rc;
}

int cli_down(const struct cli_globals *g, int argc, char **argv)
{
	struct cli_command c = {0};
	int rc = cli_parse(argc, argv, OPT_SELECT | OPT_TO | OPT_STEPS | OPT_YES | OPT_USE_FILE,
	                   "down [--tenant T]... [--all] [--to V | --steps N] [--use-file] [--yes]",
	                   &c.o);
	if (rc >= 0)
		return rc;
	if (c.o.to && c.o.steps) {
		fprintf(stderr, "pgstep down: give --to or --steps, not both\n");
		return PGSTEP_EXIT_USAGE;
	}
	if ((rc = cli_command_open(g, &c, false)) >= 0)
		return rc;
	struct down_options dn = {.to = c.o.to, .steps = c.o.steps, .use_file = c.o.use_file};
	if (!c.o.yes) {
		struct status_report r;
		size_t total = 0;
		int refused = PGSTEP_EXIT_OK; /* a tenant that cannot be planned, and why */
		status_collect(c.e.set, c.ts, c.n, &r);
		for (size_t i = 0; i < r.n; i++) {
			struct pgstep_error err = {0};
			const struct mig_status **plan = NULL;
			size_t k = 0;
			const char *name = cli_safe(r.items[i].tenant->name);
			/* Never "nothing to roll back" for a tenant we could not plan. */
			if (r.items[i].state == TSTATE_UNREACHABLE) {
				printf("%s: unreachable (%s)\n", name, cli_safe(r.items[i].error));
				refused = cli_worst_exit(refused, r.items[i].error_code
				                                      ? (int)r.items[i].error_code
				                                      : PGSTEP_EXIT_CONNECTION);
			} else if (ops_plan_down(&c.e, &r.items[i], &dn, &plan, &k, &err)) {
				printf("%s: %zu to roll back\n", name, k);
				for (size_t x = 0; x < k; x++)
					printf("  %s_%s\n", version_text(plan[x]),
					       status_name_of(plan[x]));
			} else {
				char *prefix = xasprintf("tenant %s", r.items[i].tenant->name);
				printf("%s: not planned: %s\n", name,
				       cli_safe(
				           error_unprefixed(err.msg ? err.msg : "failed", prefix)));
				free(prefix);
				refused = cli_worst_exit(refused, err.code ? (int)err.code
				                                           : PGSTEP_EXIT_FAILED);
			}
			total += k;
			free(plan);
			error_clear(&err);
		}
		status_report_clear(&r);
		char *q = xasprintf("roll back %zu migration(s) on %zu tenant(s)?", total, c.n);
		bool yes = total > 0 && cli_confirm(q);
		free(q);
		if (!yes) {
			if (total == 0 && refused == PGSTEP_EXIT_OK)
				printf("nothing to roll back\n");
			rc = refused ? refused : total == 0 ? PGSTEP_EXIT_OK : PGSTEP_EXIT_USAGE;
			goto out;
		}
	}
	rc = run_tenants(g, &c.e, c.ts, c.n, RUN_KIND_DOWN, NULL, &dn);
out:
	cli_command_close(&c);
	return rc;
}

/* The columns of `history`: as wide as the widest value (capped). */
struct history_cols {
	int action, version, who; /* who 0: one person did everything */
	char *everyone;           /* then who it was */
};

static int clamp_width(size_t n, int lo, int hi)
{
	return (int)n < lo ? lo : (int)n > hi ? hi : (int)n;
}

static char *history_who(const struct event_row *x)
{
	return xasprintf("%s/%s%s%s", x->db_user ? x->db_user : "?", x->os_user ? x->os_user : "?",
	                 x->client_addr ? "@" : "", x->client_addr ? x->client_addr : "");
}

static struct history_cols history_cols_of(const struct event_rows *ev)
{
	struct history_cols c = {6, 3, 3, NULL};
	bool same = true;
	for (size_t i = 0; i < ev->n; i++) {
		const struct event_row *x = &ev->items[i];
		char *who = history_who(x);
		if (!c.everyone)
			c.everyone = xstrdup(who);
		same = same && strcmp(c.everyone, who) == 0;
		c.action = clamp_width(strlen(x->action ? x->action : ""), c.action, 16);
		c.version = clamp_width(strlen(x->version ? x->version : ""), c.version, 14);
		c.who = clamp_width((size_t)text_width(cli_safe(who)), c.who, 24);
		free(who);
	}
	if (same)
		c.who = 0;
	return c;
}

/* One event on one line: sequence, local time, action, version, who, and
 * what happened in words; the words wrap under their own column. */
static void history_line(const struct cli_globals *g, const struct history_cols *c,
                         const struct event_row *x)
{
	char when[40];
	event_text_happened(when, sizeof when, x);
	char *who = history_who(x);
	const char *w = cli_safe(who);
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_addf(&sb, "%5lld  %s  %-*s  %-*s  ", (long long)x->seq, when, c->action,
	            cli_safe(x->action), c->version, x->version ? cli_safe(x->version) : "-");
	if (c->who)
		strbuf_addf(&sb, "%s%*s  ", w,
		            c->who - text_width(w) > 0 ? c->who - text_width(w) : 0, "");
	int col = text_width(sb.buf);
	event_text_summary(&sb, x);
	char indent[96];
	snprintf(indent, sizeof indent, "%*s", col < 60 ? col : 60, "");
	cli_print_wrapped(g, sb.buf, indent);
	strbuf_release(&sb);
	free(who);
}

int cli_history(const struct cli_globals *g, int argc, char **argv)
{
	struct cli_command c = {0};
	int rc = cli_parse(argc, argv, OPT_SELECT | OPT_VERSION,
	                   "history [--tenant T]... [--all] [--version V] [--json]", &c.o);
	if (rc >= 0)
		return rc;
	if ((rc = cli_command_open(g, &c, true)) >= 0)
		return rc;
	struct strbuf sb;
	struct json j;
	cli_json_tenants_begin(&j, &sb);
	rc = PGSTEP_EXIT_OK;
	for (size_t i = 0; i < c.n; i++) {
		struct event_rows ev = {0};
		struct pgstep_error err = {0};
		int r = ops_history(&c.e, c.ts[i], c.o.version, &ev, &err);
		struct history_cols cols = history_cols_of(&ev);
		json_begin_object(&j);
		json_kv_string(&j, "name", c.ts[i]->name);
		json_kv_string(&j, "error", err.msg);
		json_key(&j, "events");
		json_begin_array(&j);
		if (r != PGSTEP_EXIT_OK) {
			if (!g->json)
				fprintf(stderr, "pgstep: %s\n", cli_safe(err.msg));
			rc = cli_worst_exit(rc, r);
		} else if (!g->json) {
			if (cols.who || !cols.everyone)
				printf("%s:\n", cli_safe(c.ts[i]->name));
			else
				printf("%s (every event by %s):\n", cli_safe(c.ts[i]->name),
				       cli_safe(cols.everyone));
			if (ev.n == 0)
				printf("  (no events)\n");
			else if (cols.who)
				printf("%5s  %-14s  %-*s  %-*s  %-*s  %s\n", "SEQ", "WHEN (local)",
				       cols.action, "ACTION", cols.version, "VER", cols.who, "WHO",
				       "WHAT");
			else
				printf("%5s  %-14s  %-*s  %-*s  %s\n", "SEQ", "WHEN (local)",
				       cols.action, "ACTION", cols.version, "VER", "WHAT");
		}
		for (size_t k = 0; k < ev.n; k++) {
			const struct event_row *x = &ev.items[k];
			json_begin_object(&j);
			json_kv_int(&j, "seq", x->seq);
			json_kv_string(&j, "at", x->at);
			json_kv_string(&j, "action", x->action);
			json_kv_string(&j, "version", x->version);
			json_kv_string(&j, "db_user", x->db_user);
			json_kv_string(&j, "os_user", x->os_user);
			json_kv_string(&j, "client_addr", x->client_addr);
			json_kv_string(&j, "detail", x->detail);
			json_end_object(&j);
			if (!g->json)
				history_line(g, &cols, x);
		}
		json_end_array(&j);
		json_end_object(&j);
		free(cols.everyone);
		event_rows_clear(&ev);
		error_clear(&err);
	}
	cli_json_tenants_end(&j, &sb, g->json);
	cli_command_close(&c);
	return rc;
}

int cli_verify(const struct cli_globals *g, int argc, char **argv)
{
	struct cli_command c = {0};
	int rc = cli_parse(argc, argv, OPT_SELECT | OPT_ANCHOR,
	                   "verify [--tenant T]... [--all] [--anchor FILE] [--json]", &c.o);
	if (rc >= 0)
		return rc;
	struct anchor anchor = {0};
	if (c.o.anchor) {
		struct pgstep_error err = {0};
		if (!anchor_load(&anchor, c.o.anchor, &err)) {
			cli_fail(&err);
			rc = err.code;
			error_clear(&err);
			return rc;
		}
	}
	if ((rc = cli_command_open(g, &c, true)) >= 0) {
		anchor_release(&anchor);
		return rc;
	}
	struct diag_list problems;
	diag_list_init(&problems);
	struct strbuf sb;
	struct json j;
	cli_json_tenants_begin(&j, &sb);
	rc = PGSTEP_EXIT_OK;
	bool drift = false;
	for (size_t i = 0; i < c.n; i++) {
		struct pgstep_error err = {0};
		size_t before = problems.n;
		struct chain_head head = {0};
		int r = ops_verify(&c.e, c.ts[i],
		                   c.o.anchor ? anchor_find(&anchor, c.ts[i]->name) : NULL, &head,
		                   &problems, &err);
		/* The anchor moves only over a chain found whole: it grew. */
		if (c.o.anchor && r == PGSTEP_EXIT_OK && head.seq > 0)
			anchor_set(&anchor, c.ts[i]->name, &head);
		chain_head_release(&head);
		json_begin_object(&j);
		json_kv_string(&j, "name", c.ts[i]->name);
		json_kv_string(&j, "error", err.msg);
		json_key(&j, "problems");
		json_begin_array(&j);
		for (size_t k = before; k < problems.n; k++) {
			const struct diag *d = &problems.items[k];
			json_begin_object(&j);
			json_kv_string(&j, "tenant", c.ts[i]->name);
			/* Problems of the event log itself carry no version. */
			json_kv_string(&j, "kind", d->kind ? d->kind : "history");
			json_kv_string(&j, "version", d->version);
			json_kv_string(&j, "expected_checksum", d->expected);
			json_kv_string(&j, "found_checksum", d->found);
			json_kv_string(&j, "file", d->file);
			json_kv_string(&j, "message", d->msg);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_end_object(&j);
		if (r == PGSTEP_EXIT_DRIFT)
			drift = true;
		else if (r != PGSTEP_EXIT_OK) {
			if (!g->json)
				fprintf(stderr, "pgstep: %s\n", cli_safe(err.msg));
			rc = cli_worst_exit(rc, r);
		} else if (!g->json) {
			printf("%s: ok\n", c.ts[i]->name);
		}
		error_clear(&err);
	}
	cli_json_tenants_end(&j, &sb, g->json);
	for (size_t k = 0; k < problems.n && !g->json; k++) {
		/* The message first, wrapped; the file on a line of its own. */
		char *line = xasprintf("problem: %s", cli_safe(problems.items[k].msg));
		cli_print_wrapped(g, line, "    ");
		free(line);
		if (problems.items[k].file) {
			line = xasprintf("    file: %s", cli_safe(problems.items[k].file));
			cli_print_wrapped(g, line, "          ");
			free(line);
		}
	}
	if (problems.n && !g->json)
		printf("%zu problem%s found\n", problems.n, problems.n == 1 ? "" : "s");
	if (c.o.anchor) {
		struct pgstep_error err = {0};
		if (!anchor_save(&anchor, &err)) {
			cli_fail(&err);
			rc = cli_worst_exit(rc, err.code);
		}
		error_clear(&err);
		anchor_release(&anchor);
	}
	/* Found drift is the answer verify exists for: it outranks the rest. */
	if (drift)
		rc = PGSTEP_EXIT_DRIFT;
	diag_list_clear(&problems);
	cli_command_close(&c);
	return rc;
}

int cli_repair(const struct cli_globals *g, int argc, char **argv)
{
	struct cli_command c = {0};
	const char *usage =
	    "repair --tenant T --version V --reason TEXT [--mark applied|rolled_back]";
	int rc =
	    cli_parse(argc, argv, OPT_TENANT | OPT_VERSION | OPT_REASON | OPT_MARK, usage, &c.o);
	if (rc >= 0)
		return rc;
	if (c.o.n_tenants != 1 || !c.o.version || !c.o.reason) {
		fprintf(stderr,
		        "pgstep repair: --tenant, --version and --reason are required\nusage: "
		        "pgstep %s\n",
		        usage);
		return PGSTEP_EXIT_USAGE;
	}
	bool applied = true;
	if (c.o.mark && strcmp(c.o.mark, "applied") != 0) {
		if (strcmp(c.o.mark, "rolled_back") != 0 && strcmp(c.o.mark, "rolled-back") != 0) {
			fprintf(stderr,
			        "pgstep repair: --mark %s: expected applied or rolled_back\n",
			        cli_safe(c.o.mark));
			return PGSTEP_EXIT_USAGE;
		}
		applied = false;
	}
	if ((rc = cli_command_open(g, &c, false)) >= 0)
		return rc;
	struct pgstep_error err = {0};
	rc = ops_repair(&c.e, c.ts[0], c.o.version, c.o.reason, applied, &err);
	if (rc != PGSTEP_EXIT_OK)
		cli_fail(&err);
	else
		printf("%s: version %s marked %s (recorded with your reason)\n", c.ts[0]->name,
		       cli_safe(c.o.version), applied ? "applied" : "rolled_back");
	error_clear(&err);
	cli_command_close(&c);
	return rc;
}
