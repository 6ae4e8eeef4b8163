/* preflight_checks: writes the data checks of a plan (foreign keys, unique
 * keys, NOT NULL, CHECK, a CASE's ELSE, an enum cast) as SQL, and decides
 * whether each can run now or must wait for the rows the plan creates. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/deparse.h"
#include "pgstep/preflight.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "preflight_int.h"

/* A string literal (the plan's session has standard_conforming_strings on). */
static void add_literal(struct strbuf *sb, const char *s)
{
	strbuf_addc(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_addc(sb, '\'');
		strbuf_addc(sb, *s);
	}
	strbuf_addc(sb, '\'');
}

/* ---- building checks ----------------------------------------------------------- */

void pf_gen_ref(struct pf_gen *g, const char *table, const char *column)
{
	XGROW(g->refs, g->cap_refs, g->n_refs + 1);
	g->refs[g->n_refs].table = xstrdup(table);
	g->refs[g->n_refs].column = column ? xstrdup(column) : NULL;
	g->n_refs++;
}

void pf_gen_init(struct pf_gen *g, enum preflight_kind kind, const char *relation)
{
	memset(g, 0, sizeof *g);
	g->kind = kind;
	g->relation = xstrdup(relation);
	g->severity = kind == PREFLIGHT_CASE_ELSE ? RISK_WARN : RISK_ERROR;
	pf_gen_ref(g, relation, NULL);
}

static void gen_cannot(struct pf_gen *g, const char *why)
{
	free(g->sql);
	g->sql = NULL;
	if (!g->note)
		g->note = xstrdup(why);
}

struct colrefs {
	struct pf_gen *g;
	const char *table;
	struct strvec names;
};

static void collect_colref(ProtobufCMessage *m, void *arg)
{
	struct colrefs *cr = arg;
	if (m->descriptor != &pg_query__column_ref__descriptor)
		return;
	const PgQuery__ColumnRef *c = (const PgQuery__ColumnRef *)m;
	const char *last = NULL;
	for (size_t i = 0; i < c->n_fields; i++)
		if (str_of(c->fields[i]))
			last = str_of(c->fields[i]);
	if (!last)
		return;
	if (strvec_find(&cr->names, last) < 0)
		strvec_push(&cr->names, last);
	pf_gen_ref(cr->g, cr->table, last);
}

/* Record the columns expr reads (as columns of table); names receives them. */
static void expr_refs(struct pf_gen *g, const char *table, const Node *expr, struct strvec *names)
{
	struct colrefs cr = {.g = g, .table = table};
	strvec_init(&cr.names);
	deparse_walk((ProtobufCMessage *)&expr->base, collect_colref, &cr);
	if (names)
		*names = cr.names;
	else
		strvec_clear(&cr.names);
}

/* "(expr)" appended, or false when it cannot be written faithfully. */
static bool add_expr(struct strbuf *sb, const Node *expr)
{
	char *t = deparse_expr(expr);
	if (!t)
		return false;
	strbuf_addf(sb, "(%s)", t);
	free(t);
	return true;
}

/* The sample of a row: its primary key when known, else its ctid (which a
 * DBA can look up with WHERE ctid = '(0,1)'). */
void pf_add_row_id(struct preflight_plan *p, struct strbuf *sb, const char *table,
                   const char *alias)
{
	struct strvec pk;
	strvec_init(&pk);
	if (p->lookup && p->lookup->primary_key &&
	    p->lookup->primary_key(p->lookup->ctx, table, &pk) && pk.n > 0) {
		if (pk.n > 1)
			strbuf_adds(sb, "ROW(");
		for (size_t i = 0; i < pk.n; i++) {
			char *c = deparse_name(alias, pk.items[i]);
			strbuf_addf(sb, "%s%s", i ? ", " : "", c);
			free(c);
		}
		strbuf_adds(sb, pk.n > 1 ? ")::text" : "::text");
	} else {
		char *c = deparse_name(alias, "ctid");
		strbuf_addf(sb, "%s::text", c);
		free(c);
	}
	strvec_clear(&pk);
}

/* Sample of a list of columns: "c::text" or "ROW(a, b)::text". */
static void add_cols_sample(struct strbuf *sb, const char *alias, const struct strvec *cols)
{
	if (cols->n > 1)
		strbuf_adds(sb, "ROW(");
	for (size_t i = 0; i < cols->n; i++) {
		char *c = deparse_name(alias, cols->items[i]);
		strbuf_addf(sb, "%s%s", i ? ", " : "", c);
		free(c);
	}
	strbuf_adds(sb, cols->n > 1 ? ")::text" : "::text");
}

static void names_of(Node *const *items, size_t n, struct strvec *out)
{
	strvec_init(out);
	for (size_t i = 0; i < n; i++)
		if (str_of(items[i]))
			strvec_push(out, str_of(items[i]));
}

static char *join_names(const struct strvec *v)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < v->n; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", v->items[i]);
	return strbuf_detach(&sb);
}

/* Decide whether g can run now, and append it. */
void pf_emit(struct preflight_plan *p, struct pf_gen *g)
{
	struct preflight_list *l = p->out;
	XGROW(l->items, l->cap, l->n + 1);
	struct preflight_check *c = &l->items[l->n++];
	memset(c, 0, sizeof *c);
	strvec_init(&c->samples);
	c->kind = g->kind;
	c->stmt = p->stmt;
	c->line = p->line;
	c->relation = xstrdup(g->relation);
	c->what = xstrdup(g->what ? g->what : "");
	c->severity = g->severity;
	c->status = PREFLIGHT_PENDING;
	char *skip = g->sql ? NULL : xstrdup(g->note ? g->note : "cannot be written as a query");
	const char *approx = NULL, *approx_table = NULL;
	for (size_t i = 0; i < g->n_refs && !skip; i++) {
		const struct pf_ref *r = &g->refs[i];
		const struct pf_table *t = pf_plan_table(p, r->table, false);
		if (t && t->created) {
			bool here = strcmp(t->created_label, p->label) == 0;
			skip =
			    here && t->filled
			        ? xasprintf(
			              "%s is created and filled from its query earlier in this "
			              "migration (%s): its rows cannot be checked before that "
			              "runs",
			              r->table, t->created)
			    : here
			        ? xasprintf("%s is created earlier in this migration (%s): it is "
			                    "empty, there is nothing to check",
			                    r->table, t->created)
			        : xasprintf("%s is created by a migration earlier in this plan "
			                    "(%s): it does not exist yet",
			                    r->table, t->created);
		} else if (r->column && pf_column_new_at(p, r->table, r->column)) {
			skip = xasprintf("%s.%s is added or renamed earlier in the plan (%s): it "
			                 "cannot be checked before that runs",
			                 r->table, r->column,
			                 pf_column_new_at(p, r->table, r->column));
		} else if (t && t->changed && !approx) {
			approx = t->changed;
			approx_table = r->table;
		}
	}
	if (skip) {
		c->status = PREFLIGHT_SKIPPED;
		c->note = skip;
		return;
	}
	c->sql = xstrdup(g->sql);
	if (approx)
		c->note = xasprintf("approximate: %s changes the rows of %s before this statement "
		                    "runs",
		                    approx, approx_table);
	else if (g->note)
		c->note = xstrdup(g->note);
}

/* ---- the checks ---------------------------------------------------------------- */

/* Orphans of a foreign key: child rows whose key is complete (MATCH SIMPLE;
 * MATCH FULL also fails on a partly NULL key) and has no parent row. */
void pf_gen_fk(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *child,
               const PgQuery__Constraint *k)
{
	char *ckey = pf_rv_key(p, child);
	char *pkey = k->pktable ? pf_rv_key(p, k->pktable) : xstrdup("?");
	pf_gen_init(g, PREFLIGHT_FK_ORPHANS, ckey);
	pf_gen_ref(g, pkey, NULL);
	struct strvec fk, pk;
	names_of(k->fk_attrs, k->n_fk_attrs, &fk);
	names_of(k->pk_attrs, k->n_pk_attrs, &pk);
	if (pk.n == 0 && p->lookup && p->lookup->primary_key)
		p->lookup->primary_key(p->lookup->ctx, pkey, &pk);
	char *fks = join_names(&fk), *pks = join_names(&pk);
	g->what = xasprintf("foreign key %s: rows of %s whose (%s) has no row in %s (%s)",
	                    has_text(k->conname) ? k->conname : "(unnamed)", ckey, fks, pkey,
	                    pk.n ? pks : "its primary key");
	free(fks);
	free(pks);
	for (size_t i = 0; i < fk.n; i++)
		pf_gen_ref(g, ckey, fk.items[i]);
	for (size_t i = 0; i < pk.n; i++)
		pf_gen_ref(g, pkey, pk.items[i]);
	if (!k->pktable || fk.n == 0 || pk.n != fk.n) {
		gen_cannot(g, pk.n == 0 ? "the referenced table's primary key is not known"
		                        : "the key columns could not be read");
		goto out;
	}
	struct strbuf sb;
	strbuf_init(&sb);
	char *ct = pf_rv_sql(child), *pt = pf_rv_sql(k->pktable);
	strbuf_adds(&sb, "SELECT sum(count(*)) OVER () AS total, ");
	add_cols_sample(&sb, "c", &fk);
	strbuf_addf(&sb, " AS sample, count(*) AS n FROM %s c WHERE ", ct);
	bool full = has_text(k->fk_matchtype) && k->fk_matchtype[0] == 'f' && fk.n > 1;
	if (full)
		strbuf_adds(&sb, "(");
	for (size_t i = 0; i < fk.n; i++) {
		char *c = deparse_name("c", fk.items[i]);
		strbuf_addf(&sb, "%s IS NOT NULL AND ", c);
		free(c);
	}
	strbuf_addf(&sb, "NOT EXISTS (SELECT FROM %s p WHERE ", pt);
	for (size_t i = 0; i < fk.n; i++) {
		char *c = deparse_name("c", fk.items[i]), *q = deparse_name("p", pk.items[i]);
		strbuf_addf(&sb, "%s%s = %s", i ? " AND " : "", q, c);
		free(c);
		free(q);
	}
	strbuf_adds(&sb, ")");
	if (full) {
		strbuf_adds(&sb, ") OR num_nulls(");
		for (size_t i = 0; i < fk.n; i++) {
			char *c = deparse_name("c", fk.items[i]);
			strbuf_addf(&sb, "%s%s", i ? ", " : "", c);
			free(c);
		}
		strbuf_addf(&sb, ") NOT IN (0, %zu)", fk.n);
	}
	strbuf_adds(&sb, " GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5");
	g->sql = strbuf_detach(&sb);
	free(ct);
	free(pt);
out:
	strvec_clear(&fk);
	strvec_clear(&pk);
	free(ckey);
	free(pkey);
}

/* Key values held by more than one row: a unique index or constraint over
 * columns (names) and expressions (exprs[i] when names[i] is NULL). */
void pf_gen_unique(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                   const char *name, const char *const *names, Node *const *exprs, size_t n,
                   const Node *where, bool nulls_not_distinct, bool primary)
{
	char *key = pf_rv_key(p, rv);
	pf_gen_init(g, PREFLIGHT_DUPLICATES, key);
	struct strbuf keys, sb, cols;
	strbuf_init(&keys);
	strbuf_init(&sb);
	strbuf_init(&cols);
	bool ok = n > 0;
	for (size_t i = 0; i < n && ok; i++) {
		if (i)
			strbuf_adds(&keys, ", ");
		if (names[i]) {
			char *c = deparse_name(NULL, names[i]);
			strbuf_adds(&keys, c);
			strbuf_addf(&cols, "%s%s", i ? ", " : "", names[i]);
			free(c);
			pf_gen_ref(g, key, names[i]);
		} else {
			ok = add_expr(&keys, exprs[i]);
			char *t = ok ? deparse_expr(exprs[i]) : NULL;
			strbuf_addf(&cols, "%s%s", i ? ", " : "", t ? t : "?");
			free(t);
			expr_refs(g, key, exprs[i], NULL);
		}
	}
	g->what = xasprintf("%s %s on %s (%s): key values held by more than one row",
	                    primary ? "primary key" : "unique", has_text(name) ? name : "(unnamed)",
	                    key, cols.buf);
	if (where)
		expr_refs(g, key, where, NULL);
	if (!ok) {
		gen_cannot(g, "a key expression cannot be written back as SQL faithfully");
		goto out;
	}
	char *t = pf_rv_sql(rv);
	strbuf_addf(
	    &sb, "SELECT sum(count(*)) OVER () AS total, %s%s%s AS sample, count(*) AS n FROM %s",
	    n > 1 ? "ROW(" : "", keys.buf, n > 1 ? ")::text" : "::text", t);
	free(t);
	const char *sep = " WHERE ";
	if (!nulls_not_distinct) {
		/* NULLs are distinct: rows with a NULL in the key never clash. */
		for (size_t i = 0; i < n; i++) {
			strbuf_adds(&sb, sep);
			sep = " AND ";
			if (names[i]) {
				char *c = deparse_name(NULL, names[i]);
				strbuf_addf(&sb, "%s IS NOT NULL", c);
				free(c);
			} else {
				add_expr(&sb, exprs[i]);
				strbuf_adds(&sb, " IS NOT NULL");
			}
		}
	}
	if (where) {
		strbuf_adds(&sb, sep);
		if (!add_expr(&sb, where)) {
			gen_cannot(g,
			           "the index predicate cannot be written back as SQL faithfully");
			goto out;
		}
	}
	strbuf_addf(&sb, " GROUP BY %s HAVING count(*) > 1 ORDER BY 3 DESC, 2 LIMIT 5", keys.buf);
	g->sql = strbuf_detach(&sb);
out:
	strbuf_release(&keys);
	strbuf_release(&sb);
	strbuf_release(&cols);
	free(key);
}

/* NULLs in a column that becomes NOT NULL. */
void pf_gen_nulls(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                  const char *col, const char *why)
{
	char *key = pf_rv_key(p, rv);
	pf_gen_init(g, PREFLIGHT_NULLS, key);
	pf_gen_ref(g, key, col);
	g->what = xasprintf("%s.%s %s: rows where it is NULL", key, col, why);
	struct strbuf sb;
	strbuf_init(&sb);
	char *t = pf_rv_sql(rv), *c = deparse_name(NULL, col);
	strbuf_adds(&sb, "SELECT count(*) OVER () AS total, ");
	pf_add_row_id(p, &sb, key, NULL);
	strbuf_addf(&sb, " AS sample FROM %s WHERE %s IS NULL LIMIT 5", t, c);
	g->sql = strbuf_detach(&sb);
	free(t);
	free(c);
	free(key);
}

/* A CHECK is violated where its expression is false (NULL passes). */
void pf_gen_check(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                  const PgQuery__Constraint *k)
{
	char *key = pf_rv_key(p, rv);
	pf_gen_init(g, PREFLIGHT_CHECK, key);
	struct strvec cols;
	expr_refs(g, key, k->raw_expr, &cols);
	char *text = k->raw_expr ? deparse_expr(k->raw_expr) : NULL;
	g->what =
	    xasprintf("CHECK %s on %s: rows where (%s) is false",
	              has_text(k->conname) ? k->conname : "(unnamed)", key, text ? text : "?");
	if (!text) {
		gen_cannot(g, "the CHECK expression cannot be written back as SQL faithfully");
	} else {
		struct strbuf sb;
		strbuf_init(&sb);
		char *t = pf_rv_sql(rv);
		if (cols.n) {
			strbuf_adds(&sb, "SELECT sum(count(*)) OVER () AS total, ");
			add_cols_sample(&sb, NULL, &cols);
			strbuf_addf(
			    &sb,
			    " AS sample, count(*) AS n FROM %s WHERE (%s) IS FALSE GROUP BY 2 "
			    "ORDER BY 3 DESC, 2 LIMIT 5",
			    t, text);
		} else {
			strbuf_adds(&sb, "SELECT count(*) OVER () AS total, ");
			pf_add_row_id(p, &sb, key, NULL);
			strbuf_addf(&sb, " AS sample FROM %s WHERE (%s) IS FALSE LIMIT 5", t, text);
		}
		free(t);
		g->sql = strbuf_detach(&sb);
	}
	free(text);
	strvec_clear(&cols);
	free(key);
}

/* The value an UPDATE's CASE (or a USING CASE) looks at, for samples: the
 * simple CASE's argument, or the one column all conditions read. */
static char *case_sample(struct pf_gen *g, const char *table, const PgQuery__CaseExpr *ce,
                         const char *alias)
{
	if (ce->arg)
		return deparse_expr(ce->arg);
	struct strvec all;
	strvec_init(&all);
	for (size_t i = 0; i < ce->n_args; i++) {
		const Node *w = ce->args[i];
		if (w->node_case != PG_QUERY__NODE__NODE_CASE_WHEN)
			continue;
		struct strvec names;
		expr_refs(g, table, w->case_when->expr, &names);
		for (size_t k = 0; k < names.n; k++)
			if (strvec_find(&all, names.items[k]) < 0)
				strvec_push(&all, names.items[k]);
		strvec_clear(&names);
	}
	char *out = all.n == 1 ? deparse_name(alias, all.items[0]) : NULL;
	strvec_clear(&all);
	return out;
}

/* Rows no WHEN of ce matches: a WHEN matches only when its condition is
 * true, so the ELSE takes every row where each is false or NULL. */
static bool case_else_where(struct strbuf *sb, const PgQuery__CaseExpr *ce)
{
	for (size_t i = 0; i < ce->n_args; i++) {
		const Node *w = ce->args[i];
		if (w->node_case != PG_QUERY__NODE__NODE_CASE_WHEN)
			return false;
		if (i)
			strbuf_adds(sb, " AND ");
		if (ce->arg) {
			/* CASE x WHEN v: the WHEN is x = v. */
			strbuf_adds(sb, "(");
			if (!add_expr(sb, ce->arg))
				return false;
			strbuf_adds(sb, " = ");
		}
		if (!add_expr(sb, w->case_when->expr))
			return false;
		strbuf_adds(sb, ce->arg ? ") IS NOT TRUE" : " IS NOT TRUE");
	}
	return ce->n_args > 0;
}

/* An ELSE that keeps the column's own value changes nothing. */
bool pf_else_keeps(const PgQuery__CaseExpr *ce, const char *target)
{
	const Node *d = ce->defresult;
	if (d && d->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		d = d->type_cast->arg;
	if (!d || d->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return false;
	const PgQuery__ColumnRef *c = d->column_ref;
	const char *last = c->n_fields ? str_of(c->fields[c->n_fields - 1]) : NULL;
	return last && target && strcmp(last, target) == 0;
}

void pf_gen_case_else(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                      const PgQuery__CaseExpr *ce, const Node *where, const char *context)
{
	char *key = pf_rv_key(p, rv);
	pf_gen_init(g, PREFLIGHT_CASE_ELSE, key);
	const char *alias =
	    rv->alias && has_text(rv->alias->aliasname) ? rv->alias->aliasname : NULL;
	char *els = ce->defresult ? deparse_expr(ce->defresult) : xstrdup("NULL");
	g->what = xasprintf("%s: values of %s that no WHEN matches are set to %s", context, key,
	                    els ? els : "its ELSE value");
	free(els);
	char *sample = case_sample(g, key, ce, alias);
	if (where)
		expr_refs(g, key, where, NULL);
	struct strbuf sb, cond;
	strbuf_init(&sb);
	strbuf_init(&cond);
	bool ok = case_else_where(&cond, ce);
	if (ok && where) {
		strbuf_adds(&cond, " AND ");
		ok = add_expr(&cond, where);
	}
	if (!ok) {
		gen_cannot(g, "a condition cannot be written back as SQL faithfully");
	} else {
		char *t = pf_rv_sql(rv);
		char *a = alias ? deparse_name(NULL, alias) : NULL;
		if (sample) {
			strbuf_addf(&sb,
			            "SELECT sum(count(*)) OVER () AS total, (%s)::text AS sample, "
			            "count(*) AS n "
			            "FROM %s%s%s WHERE %s GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5",
			            sample, t, a ? " " : "", a ? a : "", cond.buf);
		} else {
			strbuf_adds(&sb, "SELECT count(*) OVER () AS total, ");
			pf_add_row_id(p, &sb, key, alias);
			strbuf_addf(&sb, " AS sample FROM %s%s%s WHERE %s LIMIT 5", t, a ? " " : "",
			            a ? a : "", cond.buf);
		}
		free(t);
		free(a);
		g->sql = strbuf_detach(&sb);
	}
	free(sample);
	strbuf_release(&sb);
	strbuf_release(&cond);
	free(key);
}

/* ALTER COLUMN TYPE <enum> [USING expr]: the text of each value must be a
 * label, or the conversion fails. */
void pf_gen_enum_using(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                       const char *col, const char *type, const struct pf_enum *e,
                       const Node *using_expr)
{
	char *key = pf_rv_key(p, rv);
	pf_gen_init(g, PREFLIGHT_ENUM_UNMAPPED, key);
	pf_gen_ref(g, key, col);
	g->what = xasprintf("%s.%s becomes enum %s: values that are not one of its %zu labels", key,
	                    col, type, e->labels.n);
	/* USING x::enum converts x: the values to look at are x's. */
	const Node *value = using_expr;
	if (value && value->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		value = value->type_cast->arg;
	char *v = value ? deparse_expr(value) : deparse_name(NULL, col);
	if (value)
		expr_refs(g, key, value, NULL);
	if (!v) {
		gen_cannot(g, "the USING expression cannot be written back as SQL faithfully");
		free(key);
		return;
	}
	struct strbuf sb;
	strbuf_init(&sb);
	char *t = pf_rv_sql(rv);
	strbuf_addf(&sb,
	            "SELECT sum(count(*)) OVER () AS total, (%s)::text AS sample, count(*) AS n "
	            "FROM %s WHERE "
	            "(%s)::text NOT IN (",
	            v, t, v);
	for (size_t i = 0; i < e->labels.n; i++) {
		if (i)
			strbuf_adds(&sb, ", ");
		add_literal(&sb, e->labels.items[i]);
	}
	strbuf_adds(&sb, ") GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5");
	g->sql = strbuf_detach(&sb);
	free(t);
	free(v);
	free(key);
}
