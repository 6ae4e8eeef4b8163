/* migration: one migration's memory, its display label, the pgstep:
 * directives of its leading comment block and the splitting of its sections
 * into statements. Reading files and pairing them is migset's job. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgstep/migration.h"
#include "pgstep/migset.h"
#include "pgstep/split.h"
#include "pgstep/strbuf.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

/* statement_list_init() and statement_list_clear() live in src/sql/split.c,
 * beside the code that fills the list. */

const char *migration_label(struct migration *m)
{
	if (!m->label) {
		const char *v = m->version.text ? m->version.text : "?";
		m->label = m->name && *m->name ? xasprintf("%s_%s", v, m->name) : xstrdup(v);
	}
	return m->label;
}

bool migration_reversible(const struct migration *m)
{
	return m->down.text != NULL;
}

const char *migration_format_name(enum migration_format f)
{
	switch (f) {
	case FORMAT_DBMATE: return "dbmate";
	case FORMAT_PAIR: return "up/down pair";
	case FORMAT_DIESEL: return "diesel";
	case FORMAT_FLYWAY: return "flyway";
	case FORMAT_PLAIN: return "plain";
	}
	return "unknown";
}

static void section_release(struct migration_section *s)
{
	free(s->path);
	free(s->text);
	s->path = s->text = NULL;
	statement_list_clear(&s->stmts);
	s->split_done = false;
}

void migration_free(struct migration **mp)
{
	struct migration *m = *mp;
	if (!m)
		return;
	version_release(&m->version);
	free(m->name);
	free(m->phase);
	section_release(&m->up);
	section_release(&m->down);
	free(m->note);
	strvec_clear(&m->requires);
	for (size_t i = 0; i < m->n_allows; i++) {
		free(m->allows[i].rule);
		free(m->allows[i].reason);
	}
	free(m->allows);
	free(m->label);
	free(m);
	*mp = NULL;
}

/* ---- splitting ---------------------------------------------------------- */

static bool split_section(struct migration_section *s, struct pgstep_error *err)
{
	if (s->split_done || !s->text)
		return true;
	if (!sql_split(s->text, (struct text_pos){s->file_offset, s->first_line, 1}, &s->stmts, err)) {
		statement_list_clear(&s->stmts);
		error_prefix(err, "%s", s->path ? s->path : "(no file)");
		return false;
	}
	s->split_done = true;
	return true;
}

bool migration_split(struct migration *m, struct pgstep_error *err)
{
	return split_section(&m->up, err) && split_section(&m->down, err);
}

/* ---- directives --------------------------------------------------------- */

/* The text of a line comment after "--" and blanks, or NULL for a block
 * comment: directives and markers are line comments only. */
static const char *comment_body(const char *text, const struct sql_comment *c, size_t *len)
{
	const char *p = text + c->offset, *end = p + c->len;
	if (c->len < 2 || p[0] != '-' || p[1] != '-')
		return NULL;
	p += 2;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	*len = (size_t)(end - p);
	return p;
}

static bool body_starts(const char *body, size_t len, const char *word)
{
	size_t n = strlen(word);
	return len >= n && memcmp(body, word, n) == 0;
}

/* Split "name rest" at the first blank: the directive's name and its
 * trimmed argument (both owned by the caller). */
static void split_word(const char *s, size_t len, char **word, char **rest)
{
	size_t i = 0;
	while (i < len && !isspace((unsigned char)s[i]))
		i++;
	*word = xstrndup(s, i);
	*rest = text_trim(xstrndup(s + i, len - i));
}

struct directive_ctx {
	struct migration *m;
	const char *path;
	struct diag_list *diags;
	int line;
	bool ok;
	bool seen_lock_timeout;
};

__attribute__((format(printf, 2, 3))) static void directive_error(struct directive_ctx *d,
                                                                  const char *fmt, ...);

static void directive_error(struct directive_ctx *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_add(d->diags, DIAG_ERROR, d->path, d->line, "%s", msg);
	free(msg);
	d->ok = false;
}

static void directive_note(struct directive_ctx *d, const char *arg)
{
	if (!*arg) {
		directive_error(d, "pgstep:note needs a text");
		return;
	}
	char *old = d->m->note;
	d->m->note = old ? xasprintf("%s %s", old, arg) : xstrdup(arg);
	free(old);
}

static void directive_requires(struct directive_ctx *d, char *arg)
{
	if (!*arg) {
		directive_error(d, "pgstep:requires needs one or more versions");
		return;
	}
	for (char *save = NULL, *tok = strtok_r(arg, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char *key = version_key_of(tok);
		if (!key) {
			directive_error(d, "pgstep:requires: '%s' is not a version", tok);
			continue;
		}
		if (strvec_find(&d->m->requires, key) >= 0)
			free(key);
		else
			strvec_push_owned(&d->m->requires, key);
	}
}

static void directive_lock_timeout(struct directive_ctx *d, const char *arg)
{
	int64_t ms;
	if (d->seen_lock_timeout) {
		directive_error(d, "pgstep:lock-timeout given twice");
		return;
	}
	d->seen_lock_timeout = true;
	if (!text_parse_duration_ms(arg, &ms)) {
		directive_error(d, "pgstep:lock-timeout: bad duration '%s' (e.g. 5s, 500ms, 1min)",
		                arg);
		return;
	}
	d->m->lock_timeout_ms = ms;
}

static void directive_allow(struct directive_ctx *d, const char *arg)
{
	char *rule, *rest;
	split_word(arg, strlen(arg), &rule, &rest);
	if (!*rule) {
		directive_error(d, "pgstep:allow needs a rule and 'reason: TEXT'");
	} else if (!text_starts_with(rest, "reason:") || !*text_trim(rest + strlen("reason:"))) {
		/* An exception to a risk rule without a written reason teaches
		 * nothing to the next reader: refuse it. */
		directive_error(d, "pgstep:allow %s needs 'reason: TEXT'", rule);
	} else {
		struct migration *m = d->m;
		m->allows = xrealloc(m->allows, (m->n_allows + 1) * sizeof *m->allows);
		m->allows[m->n_allows++] = (struct allow_directive){
		    .rule = xstrdup(rule),
		    .reason = xstrdup(text_trim(rest + strlen("reason:"))),
		    .line = d->line,
		};
	}
	free(rule);
	free(rest);
}

static void directive_flag(struct directive_ctx *d, const char *name, const char *arg, bool *flag)
{
	if (*arg)
		directive_error(d, "pgstep:%s takes no argument (got '%s')", name, arg);
	else
		*flag = true;
}

static void directive_apply(struct directive_ctx *d, const char *body, size_t len)
{
	char *name, *arg;
	split_word(body, len, &name, &arg);
	const char *n = name + strlen("pgstep:");
	if (strcmp(n, "note") == 0)
		directive_note(d, arg);
	else if (strcmp(n, "requires") == 0)
		directive_requires(d, arg);
	else if (strcmp(n, "no-transaction") == 0)
		directive_flag(d, n, arg, &d->m->no_transaction);
	else if (strcmp(n, "lock-timeout") == 0)
		directive_lock_timeout(d, arg);
	else if (strcmp(n, "allow") == 0)
		directive_allow(d, arg);
	else if (strcmp(n, "baseline") == 0)
		directive_flag(d, n, arg, &d->m->baseline);
	else
		directive_error(d, "unknown directive '%s'", name);
	free(name);
	free(arg);
}

/* Directives are read from the leading comment block only (for a dbmate
 * file, the block runs through the migrate:up marker into the up section).
 * One written further down would silently do nothing, so it is reported. */
bool migration_parse_directives(struct migration *m, const char *path, const char *text,
                                struct diag_list *diags)
{
	if (!strstr(text, "pgstep:"))
		return true; /* the common case: no scan needed */

	struct pgstep_error err = {0};
	struct sql_comment *all;
	size_t n;
	if (!sql_all_comments(text, &all, &n, &err)) {
		diag_add(diags, DIAG_ERROR, path, 0, "%s", err.msg);
		error_clear(&err);
		return false;
	}
	bool ok = migration_parse_directives_scanned(m, path, text, all, n, diags);
	free(all);
	return ok;
}

bool migration_parse_directives_scanned(struct migration *m, const char *path, const char *text,
                                        const struct sql_comment *all, size_t n,
                                        struct diag_list *diags)
{
	struct directive_ctx d = {.m = m, .path = path, .diags = diags, .ok = true};
	if (!strstr(text, "pgstep:"))
		return true;
	/* The leading block: comments up to the first other token, i.e. while
	 * only blanks separate one comment from the next. */
	size_t pos = 0;
	bool leading = true;
	for (size_t i = 0; i < n; i++) {
		const struct sql_comment *c = &all[i];
		while (leading && pos < c->offset)
			if (!isspace((unsigned char)text[pos++]))
				leading = false;
		pos = c->offset + c->len;
		size_t len;
		const char *body = comment_body(text, c, &len);
		if (!body)
			continue;
		if (body_starts(body, len, "migrate:down"))
			leading = false; /* the down section is not the up's block */
		if (!body_starts(body, len, "pgstep:"))
			continue;
		d.line = c->line;
		if (leading)
			directive_apply(&d, body, len);
		else
			diag_add(diags, DIAG_WARNING, path, c->line,
			         "directive ignored: pgstep: directives belong in the leading "
			         "comment block of the up migration");
	}
	return d.ok;
}
