/* risk_file: one migration file as the runner sees it. A dbmate-style file
 * holds an up and a down section behind "-- migrate:up" / "-- migrate:down"
 * markers (the up marker may say transaction:false); each section is its own
 * unit of execution and is analysed on its own, the down one knowing what the
 * up created. Other files are one up section. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "pgstep/migration.h"
#include "pgstep/settings.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "risk_int.h"

void risk_file_report_init(struct risk_file_report *r)
{
	risk_report_init(&r->up);
	risk_report_init(&r->down);
	r->has_down_section = false;
}

void risk_file_report_clear(struct risk_file_report *r)
{
	risk_report_clear(&r->up);
	risk_report_clear(&r->down);
	r->has_down_section = false;
}

struct marker {
	size_t line_start; /* offset of the marker line */
	size_t body;       /* offset of the line after it */
	int line;          /* 1-based line of the marker */
	bool no_txn;       /* transaction:false */
};

/* Find "-- migrate:<what>" at the start of a line. */
static bool find_marker(const char *text, const char *what, struct marker *m)
{
	size_t wl = strlen(what);
	int line = 1;
	for (const char *p = text; *p;) {
		const char *q = p;
		while (*q == ' ' || *q == '\t')
			q++;
		if (q[0] == '-' && q[1] == '-') {
			q += 2;
			while (*q == ' ' || *q == '\t')
				q++;
			if (strncmp(q, "migrate:", 8) == 0 && strncmp(q + 8, what, wl) == 0 &&
			    !isalnum((unsigned char)q[8 + wl])) {
				const char *eol = strchr(q, '\n');
				size_t len = eol ? (size_t)(eol - q) : strlen(q);
				char *rest = xstrndup(q, len);
				m->line_start = (size_t)(p - text);
				m->body = eol ? (size_t)(eol + 1 - text) : strlen(text);
				m->line = line;
				m->no_txn = strstr(rest, "transaction:false") != NULL;
				free(rest);
				return true;
			}
		}
		const char *eol = strchr(p, '\n');
		if (!eol)
			break;
		p = eol + 1;
		line++;
	}
	return false;
}

static bool analyze_section(const char *file, size_t from, size_t to, int line,
                            const struct risk_options *o, struct risk_report *out)
{
	char *text = xstrndup(file + from, to - from);
	struct risk_options opt = *o;
	opt.base_offset = from;
	opt.base_line = line;
	opt.directive_text = file;
	bool ok = risk_analyze(text, &opt, out);
	free(text);
	return ok;
}

/* Problems in the file's leading comment block are reported with the up
 * section; a down section of the same file drops its copies. */
static void drop_leading_problems(struct risk_report *r, int before_line)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n_problems; i++) {
		if (r->problems[i].line < before_line && !r->parse_failed)
			free(r->problems[i].message);
		else
			r->problems[k++] = r->problems[i];
	}
	r->n_problems = k;
}

bool risk_analyze_file(const char *text, const struct risk_options *base,
                       struct risk_file_report *out)
{
	struct marker up, down;
	bool has_up = find_marker(text, "up", &up);
	bool has_down = find_marker(text, "down", &down);
	if (!has_up)
		return risk_analyze(text, base, &out->up);

	size_t len = strlen(text);
	size_t up_end = has_down && down.line_start > up.body ? down.line_start : len;
	struct risk_options o = *base;
	o.no_down = !has_down;
	if (up.no_txn)
		o.txn = RISK_TXN_NONE;
	bool ok = analyze_section(text, up.body, up_end, up.line + 1, &o, &out->up);
	if (!has_down)
		return ok;

	out->has_down_section = true;
	struct risk_options d = *base;
	d.no_down = false;
	d.up = &out->up;
	if (down.no_txn)
		d.txn = RISK_TXN_NONE;
	size_t down_end = down.line_start < up.line_start ? up.line_start : len;
	ok = analyze_section(text, down.body, down_end, down.line + 1, &d, &out->down) && ok;
	drop_leading_problems(&out->down, down.line);
	return ok;
}

/* base with what applies to one section of m (settings_of), the origins
 * rendered into lt and st. */
static void section_options(const struct migration *m, bool down, const struct risk_options *base,
                            struct risk_options *o, struct strbuf *lt, struct strbuf *st)
{
	struct settings s;
	settings_of(base->config, m, down, &s);
	*o = *base;
	o->lock_timeout_ms = s.lock_timeout_ms;
	o->statement_timeout_ms = s.statement_timeout_ms;
	settings_origin_text(lt, &s.lock_timeout_from);
	settings_origin_text(st, &s.statement_timeout_from);
	o->lock_timeout_from = lt->buf;
	o->statement_timeout_from = st->buf;
	/* A statement that cannot run in a transaction, or the file's BEGIN,
	 * the engine sees itself (RISK_TXN_AUTO). */
	if (s.txn == SETTINGS_TXN_NONE && s.txn_from.source == SETTING_DIRECTIVE)
		o->txn = RISK_TXN_NONE;
}

bool risk_analyze_migration(const struct migration *m, const struct risk_options *base,
                            struct risk_file_report *out)
{
	struct strbuf lt, st;
	strbuf_init(&lt);
	strbuf_init(&st);
	/* A dbmate file's directives stand before its up marker, outside the
	 * section's text. */
	struct strbuf file;
	strbuf_init(&file);
	bool same_file =
	    m->format == FORMAT_DBMATE && m->up.path && strbuf_read_file(&file, m->up.path) == 0;
	bool ok = true;
	if (m->up.text) {
		struct risk_options o;
		section_options(m, false, base, &o, &lt, &st);
		o.directive_text = same_file ? file.buf : NULL;
		o.base_line = m->up.first_line;
		o.base_offset = m->up.file_offset;
		o.no_down = m->down.text == NULL;
		ok = risk_analyze(m->up.text, &o, &out->up);
	}
	if (m->down.text) {
		struct risk_options d;
		strbuf_reset(&lt);
		strbuf_reset(&st);
		section_options(m, true, base, &d, &lt, &st);
		d.directive_text = same_file ? file.buf : NULL;
		d.base_line = m->down.first_line;
		d.base_offset = m->down.file_offset;
		d.no_down = false;
		d.up = &out->up;
		out->has_down_section = true;
		ok = risk_analyze(m->down.text, &d, &out->down) && ok;
		if (same_file)
			drop_leading_problems(&out->down, m->down.first_line - 1);
	}
	strbuf_release(&file);
	strbuf_release(&lt);
	strbuf_release(&st);
	return ok;
}
