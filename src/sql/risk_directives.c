/* risk_directives: the comments of a section. pgstep:allow directives
 * (right before a statement, or in the leading comment block for the whole
 * file) and pgstep:no-transaction; an unknown rule id or
 * a missing reason is a problem of the section, never silently ignored. The
 * comment scanner follows PostgreSQL's lexing of comments (block comments
 * nest); string and dollar-quoted constants are never scanned, because only
 * the gaps between statements are. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "pgstep/xalloc.h"
#include "risk_int.h"

/* ---- positions and comments ----------------------------------------------------- */

void risk_src_pos(const struct risk_src *s, size_t off, int *line, int *col)
{
	int l = s->line0, k = 1;
	for (size_t i = 0; i < off && i < s->len; i++) {
		unsigned char ch = (unsigned char)s->text[i];
		if (ch == '\n') {
			l++;
			k = 1;
		} else if ((ch & 0xc0) != 0x80) {
			k++;
		}
	}
	*line = l;
	*col = k;
}

/* Skip whitespace, ';' and comments from i; call fn for each comment (its
 * text without the markers). Returns the offset of the next token. When
 * stop_at_blank is set, a blank line ends the scan (the leading comment
 * block ends there). */
size_t risk_skip_comments(const char *s, size_t i, size_t end, bool stop_at_blank,
                          risk_comment_fn fn, void *arg)
{
	int newlines = 0;
	while (i < end) {
		char ch = s[i];
		if (ch == '\n') {
			if (++newlines >= 2 && stop_at_blank)
				return i;
			i++;
		} else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v' ||
		           ch == ';') {
			i++;
		} else if (ch == '-' && i + 1 < end && s[i + 1] == '-') {
			size_t j = i + 2;
			while (j < end && s[j] != '\n')
				j++;
			if (fn)
				fn(arg, i + 2, j);
			i = j;
			newlines = 0;
		} else if (ch == '/' && i + 1 < end && s[i + 1] == '*') {
			/* PostgreSQL's block comments nest. */
			size_t j = i + 2;
			int depth = 1;
			while (j < end && depth > 0) {
				if (s[j] == '/' && j + 1 < end && s[j + 1] == '*') {
					depth++;
					j += 2;
				} else if (s[j] == '*' && j + 1 < end && s[j + 1] == '/') {
					depth--;
					j += 2;
				} else {
					j++;
				}
			}
			if (fn)
				fn(arg, i + 2, depth == 0 ? j - 2 : j);
			i = j;
			newlines = 0;
		} else {
			return i;
		}
	}
	return i;
}

/* ---- directives ---------------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

static bool word_at(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(end - p) >= n && strncasecmp(p, w, n) == 0;
}

static void add_allow(struct risk_dirscan *d, int line, const char *rule, const char *reason)
{
	struct risk_report *r = d->c->rep;
	for (size_t i = 0; i < r->n_allows; i++)
		if (r->allows[i].line == line && strcmp(r->allows[i].rule, rule) == 0)
			return;
	XGROW(r->allows, r->cap_allows, r->n_allows + 1);
	XGROW(d->c->allow_stmt, d->c->cap_allow_stmt, r->n_allows + 1);
	struct risk_allow *a = &r->allows[r->n_allows];
	a->rule = xstrdup(rule);
	a->reason = xstrdup(reason);
	a->line = line;
	a->file_level = d->file_level;
	a->used = false;
	d->c->allow_stmt[r->n_allows] = d->file_level ? SIZE_MAX : d->stmt;
	r->n_allows++;
}

/* "pgstep:allow RULE[, RULE...] reason: TEXT" */
static void parse_allow(struct risk_dirscan *d, const char *p, const char *end, int line, int col)
{
	struct risk_report *r = d->c->rep;
	const char *reason = NULL;
	for (const char *q = p; q + 7 <= end; q++) {
		if (strncasecmp(q, "reason:", 7) == 0) {
			reason = q;
			break;
		}
	}
	const char *ids_end = reason ? reason : end;
	char *why = NULL;
	if (reason) {
		const char *w = skip_ws(reason + 7, end);
		const char *we = end;
		while (we > w && isspace((unsigned char)we[-1]))
			we--;
		if (we > w)
			why = xstrndup(w, (size_t)(we - w));
	}
	size_t n_ids = 0;
	const char *q = p;
	while (q < ids_end) {
		while (q < ids_end && (isspace((unsigned char)*q) || *q == ','))
			q++;
		const char *s = q;
		while (q < ids_end && !isspace((unsigned char)*q) && *q != ',')
			q++;
		if (q == s)
			continue;
		char *id = xstrndup(s, (size_t)(q - s));
		n_ids++;
		if (!risk_rule_find(id))
			risk_add_problem(
			    r, line, col,
			    xasprintf(
			        "pgstep:allow names unknown rule \"%s\" (pgstep lint --explain "
			        "lists the rules)",
			        id));
		else if (why)
			add_allow(d, line, id, why);
		free(id);
	}
	if (n_ids == 0)
		risk_add_problem(
		    r, line, col,
		    xstrdup("pgstep:allow needs a rule id: pgstep:allow RULE reason: ..."));
	else if (!why)
		risk_add_problem(
		    r, line, col,
		    xstrdup("pgstep:allow needs a reason: pgstep:allow RULE reason: why it "
		            "is safe here"));
	free(why);
}

void risk_on_comment(void *arg, size_t start, size_t end)
{
	struct risk_dirscan *d = arg;
	const char *s = d->src->text;
	const char *p = skip_ws(s + start, s + end);
	const char *e = s + end;
	if (!word_at(p, e, "pgstep:"))
		return;
	int line, col;
	risk_src_pos(d->src, (size_t)(p - s), &line, &col);
	p += 7;
	if (word_at(p, e, "allow") && (p + 5 == e || isspace((unsigned char)p[5]))) {
		parse_allow(d, p + 5, e, line, col);
	} else if (d->file_level && word_at(p, e, "no-transaction")) {
		d->no_txn = true;
	}
	/* pgstep:lock-timeout is the migration reader's: the value the caller
	 * passes in opt->lock_timeout_ms is settings_of()'s verdict. */
}

void risk_apply_allows(struct risk_ctx *c)
{
	struct risk_report *r = c->rep;
	for (size_t i = 0; i < r->n_stmts; i++) {
		struct risk_stmt *st = &r->stmts[i];
		for (size_t j = 0; j < st->n_findings; j++) {
			struct risk_finding *f = &st->findings[j];
			for (size_t k = 0; k < r->n_allows && !f->allowed; k++) {
				struct risk_allow *a = &r->allows[k];
				if (strcmp(a->rule, f->rule->id) != 0)
					continue;
				if (c->allow_stmt[k] != SIZE_MAX && c->allow_stmt[k] != i)
					continue;
				f->allowed = true;
				f->allow_reason = xstrdup(a->reason);
				a->used = true;
			}
		}
	}
}
