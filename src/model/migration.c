/* migration: one migration's memory, its display label, the pgstep:
 * directives of its leading comment block and the splitting of its sections
 * into statements. Reading files and pairing them is migset's job. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgstep/arena.h"
#include "pgstep/migration.h"
#include "pgstep/migset.h"
#include "pgstep/section.h"
#include "pgstep/settings.h"
#include "pgstep/split.h"
#include "pgstep/strbuf.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

/* statement_list_init() and statement_list_clear() live in src/parse/split.c,
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

static void section_drop_trees(struct migration_section *s)
{
	if (s->trees) {
		arena_release(s->trees);
		free(s->trees);
	}
	s->trees = NULL;
	s->tree = NULL;
}

struct arena *migration_take_trees(struct migration_section *s, struct PgQuery__ParseResult **tree)
{
	struct arena *a = s->trees;
	*tree = s->tree;
	s->trees = NULL;
	s->tree = NULL;
	return a;
}

void migration_drop_trees(struct migration *m)
{
	section_drop_trees(&m->up);
	section_drop_trees(&m->down);
}

void migration_section_release(struct migration_section *s)
{
	free(s->path);
	free(s->text);
	s->path = s->text = NULL;
	statement_list_clear(&s->stmts);
	s->split_done = false;
	section_drop_trees(s);
	sect_directives_free(s->dirs, s->n_dirs);
	s->dirs = NULL;
	s->n_dirs = 0;
}

void migration_free(struct migration **mp)
{
	struct migration *m = *mp;
	if (!m)
		return;
	version_release(&m->version);
	free(m->name);
	free(m->phase);
	migration_section_release(&m->up);
	migration_section_release(&m->down);
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

bool migration_split_section(struct migration_section *s, struct pgstep_error *err)
{
	if (s->split_done || !s->text)
		return true;
	struct text_pos base = {s->file_offset, s->first_line, 1};
	bool ok;
	if (strlen(s->text) <= SQL_CHUNK_BYTES) {
		s->trees = xmalloc(sizeof *s->trees);
		arena_init(s->trees);
		ok = sql_split_tree(s->text, base, &s->stmts, s->trees, &s->tree, err);
	} else {
		ok = sql_split(s->text, base, &s->stmts, err);
	}
	if (!ok) {
		section_drop_trees(s);
		statement_list_clear(&s->stmts);
		error_prefix(err, "%s", s->path ? s->path : "(no file)");
		return false;
	}
	s->split_done = true;
	return true;
}

bool migration_split(struct migration *m, struct pgstep_error *err)
{
	return migration_split_section(&m->up, err) && migration_split_section(&m->down, err);
}

/* ---- directives --------------------------------------------------------- */

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
	/* The rule pgstep.conf follows: a 0 taken as "the default" by one
	 * reader and as "no timeout" by another is how they came to disagree. */
	const char *refusal = settings_lock_timeout_refusal(ms);
	if (refusal) {
		directive_error(d, "pgstep:lock-timeout %s: %s", arg, refusal);
		return;
	}
	d->m->lock_timeout_ms = ms;
	d->m->lock_timeout_line = d->line;
}

static void directive_allow(struct directive_ctx *d, const char *arg)
{
	struct sect_allow al;
	sect_allow_parse(arg, &al);
	if (al.n_rules == 0) {
		directive_error(d, "pgstep:allow needs a rule and 'reason: TEXT'");
	} else if (!al.reason) {
		/* An exception to a risk rule without a written reason teaches
		 * nothing to the next reader: refuse it. */
		directive_error(d, "pgstep:allow %s needs 'reason: TEXT'", al.rules[0]);
	} else {
		struct migration *m = d->m;
		for (size_t i = 0; i < al.n_rules; i++) {
			m->allows = xrealloc(m->allows, (m->n_allows + 1) * sizeof *m->allows);
			m->allows[m->n_allows++] = (struct allow_directive){
			    .rule = xstrdup(al.rules[i]),
			    .reason = xstrdup(al.reason),
			    .line = d->line,
			};
		}
	}
	sect_allow_clear(&al);
}

static void directive_flag(struct directive_ctx *d, const char *name, const char *arg, bool *flag)
{
	if (*arg)
		directive_error(d, "pgstep:%s takes no argument (got '%s')", name, arg);
	else
		*flag = true;
}

static void directive_apply(struct directive_ctx *d, const struct sect_directive *dir)
{
	const char *n = dir->name;
	char *arg = xstrdup(dir->arg);
	if (strcmp(n, "note") == 0)
		directive_note(d, arg);
	else if (strcmp(n, "requires") == 0)
		directive_requires(d, arg);
	else if (strcmp(n, "no-transaction") == 0) {
		directive_flag(d, n, arg, &d->m->no_transaction);
		if (d->m->no_transaction && !d->m->no_transaction_line)
			d->m->no_transaction_line = d->line;
	} else if (strcmp(n, "lock-timeout") == 0)
		directive_lock_timeout(d, arg);
	else if (strcmp(n, "allow") == 0)
		directive_allow(d, arg);
	else if (strcmp(n, "baseline") == 0)
		directive_flag(d, n, arg, &d->m->baseline);
	else
		directive_error(d, "unknown directive 'pgstep:%s'", n);
	free(arg);
}

/* Does directive i stand right before a statement (a pgstep:allow for that
 * statement, which the risk engine honours)? */
static bool before_statement(const struct sect_directive *dir)
{
	return strcmp(dir->name, "allow") == 0 && !dir->leading;
}

bool migration_apply_directives(struct migration *m, const char *path, const struct sect_file *sf,
                                struct diag_list *diags)
{
	struct directive_ctx d = {.m = m, .path = path, .diags = diags, .ok = true};
	for (size_t i = 0; i < sf->n_dirs; i++) {
		const struct sect_directive *dir = &sf->dirs[i];
		d.line = dir->line;
		if (dir->leading)
			directive_apply(&d, dir);
		else if (!before_statement(dir))
			diag_add(diags, DIAG_WARNING, path, dir->line,
			         "directive ignored: pgstep: directives belong in the leading "
			         "comment block of the up migration");
	}
	return d.ok;
}

bool migration_parse_directives(struct migration *m, const char *path, const char *text,
                                struct diag_list *diags)
{
	struct sect_file sf;
	sect_read(text, strlen(text), &sf, SECT_MARKERS);
	bool ok = true;
	for (size_t i = 0; i < sf.n_problems; i++) {
		if (sf.problems[i].line != 0)
			continue; /* marker problems are the loader's to report */
		diag_add(diags, DIAG_ERROR, path, 0, "%s", sf.problems[i].msg);
		ok = false;
	}
	ok = migration_apply_directives(m, path, &sf, diags) && ok;
	sect_file_clear(&sf);
	return ok;
}
