/* report: how the command line shows the risk engine's reports. `pgstep
 * lint` and `pgstep plan` share it, so a finding reads the same in both and
 * a statement has one JSON shape. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pgstep/json.h"
#include "pgstep/settings.h"
#include "pgstep/strbuf.h"
#include "pgstep/text.h"

const char *cli_severity_color(const struct cli_globals *g, enum risk_severity s)
{
	if (!g->color)
		return "";
	return s == RISK_ERROR ? "\033[1;31m" : s == RISK_WARN ? "\033[33m" : "\033[36m";
}

/* Append line (one logical line) to out wrapped to g->width; continuation
 * lines are indented four columns deeper than the line's own blanks. */
static void add_wrapped(struct strbuf *out, const struct cli_globals *g, const char *line)
{
	size_t lead = strspn(line, " ");
	char indent[64];
	snprintf(indent, sizeof indent, "%*s", (int)(lead + 4 < 60 ? lead + 4 : 60), "");
	text_wrap(out, line, g->width, indent);
}

/* Lint formats on its worker threads: escaped here into out, not with
 * cli_safe's per-thread copies. The lead may hold a file name. */
void cli_finding_format(struct strbuf *out, const struct cli_globals *g, const char *lead,
                        const struct risk_finding *f, const char *safer_indent)
{
	struct strbuf line;
	strbuf_init(&line);
	text_escape_controls(&line, lead);
	strbuf_addf(&line, "%s%s%s %s: ", cli_severity_color(g, f->severity),
	            risk_severity_name(f->severity), cli_reset(g), f->rule->id);
	text_escape_controls(&line, f->message);
	add_wrapped(out, g, line.buf);
	if (safer_indent) {
		strbuf_reset(&line);
		strbuf_addf(&line, "%ssafer: %s", safer_indent, f->rule->alternative);
		char indent[64];
		snprintf(indent, sizeof indent, "%s       ", safer_indent);
		text_wrap(out, line.buf, g->width, indent);
	}
	strbuf_release(&line);
}

void cli_finding_print(const struct cli_globals *g, const char *lead, const struct risk_finding *f,
                       const char *safer_indent)
{
	struct strbuf sb;
	strbuf_init(&sb);
	cli_finding_format(&sb, g, lead, f, safer_indent);
	fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
}

void cli_problem_format(struct strbuf *out, const struct cli_globals *g, const char *lead,
                        const struct risk_problem *p)
{
	struct strbuf line;
	strbuf_init(&line);
	text_escape_controls(&line, lead);
	strbuf_addf(&line, "%serror%s: ", cli_severity_color(g, RISK_ERROR), cli_reset(g));
	text_escape_controls(&line, p->message);
	add_wrapped(out, g, line.buf);
	strbuf_release(&line);
}

void cli_problem_print(const struct cli_globals *g, const char *lead, const struct risk_problem *p)
{
	struct strbuf sb;
	strbuf_init(&sb);
	cli_problem_format(&sb, g, lead, p);
	fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
}

void cli_stmt_json(struct json *j, const struct risk_stmt *st, cli_stmt_json_fn extra, void *ctx)
{
	json_begin_object(j);
	json_kv_int(j, "line", st->line);
	json_kv_string(j, "kind", st->kind);
	json_kv_string(j, "sql", st->sql);
	json_kv_string(j, "explain", st->explain);
	json_key(j, "locks");
	json_begin_array(j);
	for (size_t k = 0; k < st->n_locks; k++) {
		json_begin_object(j);
		json_kv_string(j, "relation", st->locks[k].relation);
		json_kv_string(j, "mode", risk_lock_name(st->locks[k].mode));
		if (st->locks[k].catalog)
			json_kv_bool(j, "catalog", true);
		json_end_object(j);
	}
	json_end_array(j);
	json_kv_bool(j, "rewrite", st->effects & RISK_FX_REWRITE);
	json_kv_bool(j, "scan", st->effects & RISK_FX_SCAN);
	json_key(j, "findings");
	json_begin_array(j);
	for (size_t k = 0; k < st->n_findings; k++) {
		const struct risk_finding *f = &st->findings[k];
		if (f->allowed)
			continue;
		json_begin_object(j);
		json_kv_string(j, "rule", f->rule->id);
		json_kv_string(j, "severity", risk_severity_name(f->severity));
		json_kv_string(j, "message", f->message);
		json_kv_string(j, "alternative", f->rule->alternative);
		json_end_object(j);
	}
	json_end_array(j);
	if (extra)
		extra(j, st, ctx);
	json_end_object(j);
}

void cli_problems_json(struct json *j, const struct risk_report *r)
{
	for (size_t i = 0; i < r->n_problems; i++) {
		json_begin_object(j);
		json_kv_int(j, "line", r->problems[i].line);
		json_kv_int(j, "column", r->problems[i].col);
		json_kv_string(j, "message", r->problems[i].message);
		json_end_object(j);
	}
}

void cli_settings_text(struct strbuf *out, const struct settings *s, bool with_rest)
{
	settings_lock_timeout_text(out, s);
	strbuf_adds(out, ", ");
	settings_statement_timeout_text(out, s);
	if (!with_rest)
		return;
	strbuf_adds(out, ", ");
	settings_lock_retries_text(out, s);
	strbuf_adds(out, ", ");
	settings_txn_text(out, s);
}

static void origin_json(struct json *j, const struct setting_origin *o)
{
	struct strbuf sb;
	strbuf_init(&sb);
	settings_origin_text(&sb, o);
	json_kv_string(j, "source", settings_source_name(o->source));
	json_kv_string(j, "from", sb.buf);
	json_key(j, "file");
	if (o->path)
		json_string(j, o->path);
	else
		json_null(j);
	json_key(j, "line");
	if (o->line > 0)
		json_int(j, o->line);
	else
		json_null(j);
	strbuf_release(&sb);
}

void cli_settings_json(struct json *j, const struct settings *s, bool with_rest)
{
	json_key(j, "settings");
	json_begin_object(j);
	json_key(j, "lock_timeout");
	json_begin_object(j);
	json_kv_int(j, "ms", s->lock_timeout_ms);
	origin_json(j, &s->lock_timeout_from);
	json_end_object(j);
	json_key(j, "statement_timeout");
	json_begin_object(j);
	json_kv_int(j, "ms", s->statement_timeout_ms);
	origin_json(j, &s->statement_timeout_from);
	json_end_object(j);
	if (with_rest) {
		json_key(j, "lock_retries");
		json_begin_object(j);
		json_kv_int(j, "count", s->lock_retries);
		origin_json(j, &s->lock_retries_from);
		json_end_object(j);
		json_key(j, "transaction");
		json_begin_object(j);
		json_kv_string(j, "mode", settings_txn_name(s->txn));
		origin_json(j, &s->txn_from);
		json_end_object(j);
	}
	json_end_object(j);
}
