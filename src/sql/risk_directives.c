/* risk_directives: the pgstep directives of a section, as the section
 * reader (src/parse/section.c) found them: pgstep:allow (right before a
 * statement, or in the leading comment block for the whole file) and
 * pgstep:no-transaction (the timeouts are settings_of's, passed in the
 * options); an unknown rule id or a missing reason is a problem of the
 * section, never silently ignored. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "pgstep/xalloc.h"
#include "risk_int.h"

/* ---- directives ---------------------------------------------------------------- */

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

/* "pgstep:allow RULE[, RULE...] reason: TEXT", read by the section reader's
 * grammar (sect_allow_parse); the rule ids are checked here. */
static void parse_allow(struct risk_dirscan *d, const char *arg, int line, int col)
{
	struct risk_report *r = d->c->rep;
	struct sect_allow al;
	sect_allow_parse(arg, &al);
	for (size_t i = 0; i < al.n_rules; i++) {
		const char *id = al.rules[i];
		if (!risk_rule_find(id))
			risk_add_problem(
			    r, line, col,
			    xasprintf(
			        "pgstep:allow names unknown rule \"%s\" (pgstep lint --explain "
			        "lists the rules)",
			        id));
		else if (al.reason)
			add_allow(d, line, id, al.reason);
	}
	if (al.n_rules == 0)
		risk_add_problem(
		    r, line, col,
		    xstrdup("pgstep:allow needs a rule id: pgstep:allow RULE reason: ..."));
	else if (!al.reason)
		risk_add_problem(
		    r, line, col,
		    xstrdup("pgstep:allow needs a reason: pgstep:allow RULE reason: why it "
		            "is safe here"));
	sect_allow_clear(&al);
}

void risk_directive(struct risk_dirscan *d, const struct sect_directive *dir, bool settings)
{
	const char *arg = dir->arg;
	if (strcmp(dir->name, "allow") == 0) {
		/* a leading allow after the header is the first statement's */
		if (!d->file_level || dir->header)
			parse_allow(d, arg, dir->line, dir->col);
	} else if (settings && d->file_level && strcmp(dir->name, "no-transaction") == 0) {
		/* as the loader: an argument makes it an error, not a setting */
		if (!*arg)
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
