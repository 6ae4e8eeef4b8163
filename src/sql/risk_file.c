/* risk_file: one migration file as the runner sees it. A dbmate-style file
 * holds an up and a down section behind "-- migrate:up" / "-- migrate:down"
 * markers (the up marker may say transaction:false); each section is its own
 * unit of execution and is analysed on its own, the down one knowing what the
 * up created. Other files are one up section. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
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
	/* Problems in the file's leading comment block were reported with the
	 * up section already. */
	struct risk_report *r = &out->down;
	size_t k = 0;
	for (size_t i = 0; i < r->n_problems; i++) {
		if (r->problems[i].line < down.line && !r->parse_failed)
			free(r->problems[i].message);
		else
			r->problems[k++] = r->problems[i];
	}
	r->n_problems = k;
	return ok;
}
