/* preflight: the data checks of a plan's migrations, written as SQL from
 * each statement's parse tree. It owns the plan's state (tables created or
 * renamed, columns added, rows changed, enum labels, constraints added NOT
 * VALID) and the queries; running them is the engine's job. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "pgstep/deparse.h"
#include "pgstep/preflight.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

typedef PgQuery__Node Node;

/* ---- lists --------------------------------------------------------------------- */

void preflight_list_init(struct preflight_list *l)
{
	memset(l, 0, sizeof *l);
}

void preflight_list_clear(struct preflight_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct preflight_check *c = &l->items[i];
		free(c->relation);
		free(c->what);
		free(c->sql);
		free(c->note);
		free(c->error);
		strvec_clear(&c->samples);
	}
	free(l->items);
	memset(l, 0, sizeof *l);
}

const char *preflight_kind_name(enum preflight_kind k)
{
	switch (k) {
	case PREFLIGHT_FK_ORPHANS: return "fk-orphans";
	case PREFLIGHT_DUPLICATES: return "duplicates";
	case PREFLIGHT_NULLS: return "nulls";
	case PREFLIGHT_REQUIRED_COLUMN: return "required-column";
	case PREFLIGHT_CHECK: return "check";
	case PREFLIGHT_ENUM_UNMAPPED: return "enum-unmapped";
	case PREFLIGHT_CASE_ELSE: return "case-else";
	}
	return "?";
}

const char *preflight_status_name(enum preflight_status s)
{
	switch (s) {
	case PREFLIGHT_PENDING: return "pending";
	case PREFLIGHT_SKIPPED: return "skipped";
	case PREFLIGHT_OK: return "ok";
	case PREFLIGHT_FOUND: return "found";
	case PREFLIGHT_ERROR: return "error";
	}
	return "?";
}

/* ---- helpers ------------------------------------------------------------------- */

static const char *str_of(const Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

static bool has_text(const char *s)
{
	return s && *s;
}

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

/* ---- the plan's state ---------------------------------------------------------- */

struct pf_table {
	char *name;    /* "schema.name" */
	char *created; /* "012_x line 4": created (or renamed into) there; NULL: exists now */
	char *created_label;
	char *changed;          /* first statement of the plan that changes its rows */
	struct strvec new_cols; /* columns added or renamed into: "col\x1f012_x line 4" */
};

struct pf_enum {
	char *name;           /* "schema.name" */
	struct strvec labels; /* as known: from the file, or the catalog plus ADD VALUEs */
};

/* What a check reads, for deciding whether it can run now. */
struct pf_ref {
	char *table;
	char *column; /* NULL: the table as a whole */
};

/* A check being built. */
struct pf_gen {
	enum preflight_kind kind;
	char *relation;
	char *what;
	char *sql; /* NULL: cannot be written (note says why) */
	char *note;
	enum risk_severity severity;
	struct pf_ref *refs;
	size_t n_refs, cap_refs;
};

/* A constraint added NOT VALID: its check waits for VALIDATE CONSTRAINT. */
struct pf_deferred {
	char *table;
	char *name;
	struct pf_gen gen;
};

struct preflight_plan {
	char *schema;
	const struct preflight_lookup *lookup;
	struct pf_table *tables;
	size_t n_tables, cap_tables;
	struct pf_enum *enums;
	size_t n_enums, cap_enums;
	struct pf_deferred *deferred;
	size_t n_deferred, cap_deferred;
	/* the statement being read */
	const char *label;
	int line;
	size_t stmt;
	struct preflight_list *out;
};

struct preflight_plan *preflight_plan_new(const char *default_schema,
                                          const struct preflight_lookup *lookup)
{
	struct preflight_plan *p = xcalloc(1, sizeof *p);
	p->schema = xstrdup(default_schema ? default_schema : "public");
	p->lookup = lookup;
	return p;
}

static void gen_clear(struct pf_gen *g)
{
	free(g->relation);
	free(g->what);
	free(g->sql);
	free(g->note);
	for (size_t i = 0; i < g->n_refs; i++) {
		free(g->refs[i].table);
		free(g->refs[i].column);
	}
	free(g->refs);
	memset(g, 0, sizeof *g);
}

void preflight_plan_free(struct preflight_plan **pp)
{
	if (!pp || !*pp)
		return;
	struct preflight_plan *p = *pp;
	for (size_t i = 0; i < p->n_tables; i++) {
		free(p->tables[i].name);
		free(p->tables[i].created);
		free(p->tables[i].created_label);
		free(p->tables[i].changed);
		strvec_clear(&p->tables[i].new_cols);
	}
	free(p->tables);
	for (size_t i = 0; i < p->n_enums; i++) {
		free(p->enums[i].name);
		strvec_clear(&p->enums[i].labels);
	}
	free(p->enums);
	for (size_t i = 0; i < p->n_deferred; i++) {
		free(p->deferred[i].table);
		free(p->deferred[i].name);
		gen_clear(&p->deferred[i].gen);
	}
	free(p->deferred);
	free(p->schema);
	free(p);
	*pp = NULL;
}

/* "schema.name" as the risk report writes it. */
static char *rv_key(const struct preflight_plan *p, const PgQuery__RangeVar *rv)
{
	return xasprintf("%s.%s", has_text(rv->schemaname) ? rv->schemaname : p->schema,
	                 rv->relname);
}

/* The relation as written in the statement, for the check's SQL: an
 * unqualified name stays unqualified, resolved through the tenant's
 * search_path as the migration's is. */
static char *rv_sql(const PgQuery__RangeVar *rv)
{
	return deparse_name(has_text(rv->schemaname) ? rv->schemaname : NULL, rv->relname);
}

static char *names_key(const struct preflight_plan *p, Node *const *items, size_t n)
{
	const char *last = NULL, *first = NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = str_of(items[i]);
		if (!s)
			continue;
		if (!first)
			first = s;
		last = s;
		k++;
	}
	if (!last)
		return xstrdup("?");
	if (k == 1)
		return xasprintf("%s.%s", p->schema, last);
	return xasprintf("%s.%s", first, last);
}

static struct pf_table *plan_table(struct preflight_plan *p, const char *name, bool create)
{
	for (size_t i = 0; i < p->n_tables; i++)
		if (strcmp(p->tables[i].name, name) == 0)
			return &p->tables[i];
	if (!create)
		return NULL;
	XGROW(p->tables, p->cap_tables, p->n_tables + 1);
	struct pf_table *t = &p->tables[p->n_tables++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	strvec_init(&t->new_cols);
	return t;
}

static char *where_now(const struct preflight_plan *p)
{
	return xasprintf("%s line %d", p->label, p->line);
}

static void table_created(struct preflight_plan *p, const char *name)
{
	struct pf_table *t = plan_table(p, name, true);
	free(t->created);
	free(t->created_label);
	t->created = where_now(p);
	t->created_label = xstrdup(p->label);
}

static void table_changed(struct preflight_plan *p, const char *name)
{
	struct pf_table *t = plan_table(p, name, true);
	if (!t->changed)
		t->changed = where_now(p);
}

static void column_added(struct preflight_plan *p, const char *table, const char *col)
{
	struct pf_table *t = plan_table(p, table, true);
	char *w = where_now(p);
	strvec_push_owned(&t->new_cols, xasprintf("%s\x1f%s", col, w));
	free(w);
}

/* Where col of table was added or renamed into earlier in the plan, or NULL. */
static const char *column_new_at(const struct preflight_plan *p, const char *table, const char *col)
{
	const struct pf_table *t = plan_table((struct preflight_plan *)p, table, false);
	size_t n = strlen(col);
	for (size_t i = 0; t && i < t->new_cols.n; i++) {
		const char *e = t->new_cols.items[i];
		if (strncmp(e, col, n) == 0 && e[n] == '\x1f')
			return e + n + 1;
	}
	return NULL;
}

static struct pf_enum *plan_enum(struct preflight_plan *p, const char *name, bool create)
{
	for (size_t i = 0; i < p->n_enums; i++)
		if (strcmp(p->enums[i].name, name) == 0)
			return &p->enums[i];
	if (!create)
		return NULL;
	XGROW(p->enums, p->cap_enums, p->n_enums + 1);
	struct pf_enum *e = &p->enums[p->n_enums++];
	e->name = xstrdup(name);
	strvec_init(&e->labels);
	return e;
}

/* Labels of an enum: created earlier in the plan, else the database's. */
static struct pf_enum *enum_known(struct preflight_plan *p, const char *name)
{
	struct pf_enum *e = plan_enum(p, name, false);
	if (e)
		return e;
	struct strvec labels;
	strvec_init(&labels);
	if (!p->lookup || !p->lookup->enum_labels ||
	    !p->lookup->enum_labels(p->lookup->ctx, name, &labels)) {
		strvec_clear(&labels);
		return NULL;
	}
	e = plan_enum(p, name, true);
	strvec_clear(&e->labels);
	e->labels = labels;
	return e;
}

/* ---- building checks ----------------------------------------------------------- */

static void gen_ref(struct pf_gen *g, const char *table, const char *column)
{
	XGROW(g->refs, g->cap_refs, g->n_refs + 1);
	g->refs[g->n_refs].table = xstrdup(table);
	g->refs[g->n_refs].column = column ? xstrdup(column) : NULL;
	g->n_refs++;
}

static void gen_init(struct pf_gen *g, enum preflight_kind kind, const char *relation)
{
	memset(g, 0, sizeof *g);
	g->kind = kind;
	g->relation = xstrdup(relation);
	g->severity = kind == PREFLIGHT_CASE_ELSE ? RISK_WARN : RISK_ERROR;
	gen_ref(g, relation, NULL);
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
	gen_ref(cr->g, cr->table, last);
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
static void add_row_id(struct preflight_plan *p, struct strbuf *sb, const char *table,
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
static void emit(struct preflight_plan *p, struct pf_gen *g)
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
		const struct pf_table *t = plan_table(p, r->table, false);
		if (t && t->created) {
			skip =
			    strcmp(t->created_label, p->label) == 0
			        ? xasprintf("%s is created earlier in this migration (%s): it is "
			                    "empty, there is nothing to check",
			                    r->table, t->created)
			        : xasprintf("%s is created by a migration earlier in this plan "
			                    "(%s): it does not exist yet",
			                    r->table, t->created);
		} else if (r->column && column_new_at(p, r->table, r->column)) {
			skip =
			    xasprintf("%s.%s is added or renamed earlier in the plan (%s): it "
			              "cannot be checked before that runs",
			              r->table, r->column, column_new_at(p, r->table, r->column));
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
static void gen_fk(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *child,
                   const PgQuery__Constraint *k)
{
	char *ckey = rv_key(p, child);
	char *pkey = k->pktable ? rv_key(p, k->pktable) : xstrdup("?");
	gen_init(g, PREFLIGHT_FK_ORPHANS, ckey);
	gen_ref(g, pkey, NULL);
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
		gen_ref(g, ckey, fk.items[i]);
	for (size_t i = 0; i < pk.n; i++)
		gen_ref(g, pkey, pk.items[i]);
	if (!k->pktable || fk.n == 0 || pk.n != fk.n) {
		gen_cannot(g, pk.n == 0 ? "the referenced table's primary key is not known"
		                        : "the key columns could not be read");
		goto out;
	}
	struct strbuf sb;
	strbuf_init(&sb);
	char *ct = rv_sql(child), *pt = rv_sql(k->pktable);
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
static void gen_unique(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                       const char *name, const char *const *names, Node *const *exprs, size_t n,
                       const Node *where, bool nulls_not_distinct, bool primary)
{
	char *key = rv_key(p, rv);
	gen_init(g, PREFLIGHT_DUPLICATES, key);
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
			gen_ref(g, key, names[i]);
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
	char *t = rv_sql(rv);
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
static void gen_nulls(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                      const char *col, const char *why)
{
	char *key = rv_key(p, rv);
	gen_init(g, PREFLIGHT_NULLS, key);
	gen_ref(g, key, col);
	g->what = xasprintf("%s.%s %s: rows where it is NULL", key, col, why);
	struct strbuf sb;
	strbuf_init(&sb);
	char *t = rv_sql(rv), *c = deparse_name(NULL, col);
	strbuf_adds(&sb, "SELECT count(*) OVER () AS total, ");
	add_row_id(p, &sb, key, NULL);
	strbuf_addf(&sb, " AS sample FROM %s WHERE %s IS NULL LIMIT 5", t, c);
	g->sql = strbuf_detach(&sb);
	free(t);
	free(c);
	free(key);
}

/* A CHECK is violated where its expression is false (NULL passes). */
static void gen_check(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                      const PgQuery__Constraint *k)
{
	char *key = rv_key(p, rv);
	gen_init(g, PREFLIGHT_CHECK, key);
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
		char *t = rv_sql(rv);
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
			add_row_id(p, &sb, key, NULL);
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

static const PgQuery__CaseExpr *as_case(const Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	return n && n->node_case == PG_QUERY__NODE__NODE_CASE_EXPR ? n->case_expr : NULL;
}

/* An ELSE that keeps the column's own value changes nothing. */
static bool else_keeps(const PgQuery__CaseExpr *ce, const char *target)
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

static void gen_case_else(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                          const PgQuery__CaseExpr *ce, const Node *where, const char *context)
{
	char *key = rv_key(p, rv);
	gen_init(g, PREFLIGHT_CASE_ELSE, key);
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
		char *t = rv_sql(rv);
		char *a = alias ? deparse_name(NULL, alias) : NULL;
		if (sample) {
			strbuf_addf(&sb,
			            "SELECT sum(count(*)) OVER () AS total, (%s)::text AS sample, "
			            "count(*) AS n "
			            "FROM %s%s%s WHERE %s GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5",
			            sample, t, a ? " " : "", a ? a : "", cond.buf);
		} else {
			strbuf_adds(&sb, "SELECT count(*) OVER () AS total, ");
			add_row_id(p, &sb, key, alias);
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
static void gen_enum_using(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                           const char *col, const char *type, const struct pf_enum *e,
                           const Node *using_expr)
{
	char *key = rv_key(p, rv);
	gen_init(g, PREFLIGHT_ENUM_UNMAPPED, key);
	gen_ref(g, key, col);
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
	char *t = rv_sql(rv);
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

/* ---- statements ---------------------------------------------------------------- */

static void emit_gen(struct preflight_plan *p, struct pf_gen *g)
{
	emit(p, g);
	gen_clear(g);
}

/* A table constraint added to rv (ALTER TABLE ADD, or its definition read
 * back for VALIDATE). force: validate even if declared NOT VALID. */
static void on_constraint(struct preflight_plan *p, const PgQuery__RangeVar *rv,
                          const PgQuery__Constraint *k, bool force)
{
	struct pf_gen g;
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN: gen_fk(p, &g, rv, k); break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK: gen_check(p, &g, rv, k); break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY: {
		if (has_text(k->indexname) || k->n_keys == 0)
			return; /* USING INDEX: the index exists, it was checked when built */
		bool pk = k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
		const char **names = xcalloc(k->n_keys, sizeof *names);
		for (size_t i = 0; i < k->n_keys; i++)
			names[i] = str_of(k->keys[i]);
		gen_unique(p, &g, rv, k->conname, names, k->keys, k->n_keys, k->where_clause,
		           k->nulls_not_distinct, pk);
		emit_gen(p, &g);
		/* A primary key makes its columns NOT NULL too. */
		for (size_t i = 0; pk && i < k->n_keys; i++) {
			if (!names[i])
				continue;
			gen_nulls(p, &g, rv, names[i], "becomes part of a primary key");
			emit_gen(p, &g);
		}
		free(names);
		return;
	}
	default: return;
	}
	if (k->skip_validation && !force) {
		/* NOT VALID: existing rows are not checked now, but VALIDATE
		 * CONSTRAINT will check them. */
		XGROW(p->deferred, p->cap_deferred, p->n_deferred + 1);
		struct pf_deferred *d = &p->deferred[p->n_deferred++];
		d->table = rv_key(p, rv);
		d->name = xstrdup(has_text(k->conname) ? k->conname : "");
		d->gen = g;
		return;
	}
	emit_gen(p, &g);
}

/* VALIDATE CONSTRAINT: the definition from NOT VALID earlier in the plan,
 * else from the database. */
static void on_validate(struct preflight_plan *p, const PgQuery__RangeVar *rv, const char *name)
{
	char *table = rv_key(p, rv);
	for (size_t i = p->n_deferred; i-- > 0;) {
		struct pf_deferred *d = &p->deferred[i];
		if (strcmp(d->table, table) == 0 && strcmp(d->name, name) == 0) {
			struct pf_gen g = d->gen;
			emit(p, &g); /* the definition stays for a second VALIDATE */
			free(table);
			return;
		}
	}
	char *def = p->lookup && p->lookup->constraint_def
	                ? p->lookup->constraint_def(p->lookup->ctx, table, name)
	                : NULL;
	free(table);
	if (!def)
		return;
	/* Read the definition back as the ALTER TABLE that would add it. */
	char *t = rv_sql(rv), *n = deparse_name(NULL, name);
	char *sql = xasprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", t, n, def);
	free(t);
	free(n);
	free(def);
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
	free(sql);
	if (!r.error) {
		PgQuery__ParseResult *pr = pg_query__parse_result__unpack(
		    NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
		const Node *s = pr && pr->n_stmts == 1 ? pr->stmts[0]->stmt : NULL;
		if (s && s->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT &&
		    s->alter_table_stmt->n_cmds == 1 &&
		    s->alter_table_stmt->cmds[0]->node_case ==
		        PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) {
			const Node *def_node = s->alter_table_stmt->cmds[0]->alter_table_cmd->def;
			if (def_node && def_node->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
				on_constraint(p, rv, def_node->constraint, true);
		}
		if (pr)
			pg_query__parse_result__free_unpacked(pr, NULL);
	}
	pg_query_free_protobuf_parse_result(r);
}

static const PgQuery__ColumnDef *coldef_of(const Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF ? n->column_def : NULL;
}

/* ADD COLUMN: NOT NULL without a default fails on any existing row. */
static void on_add_column(struct preflight_plan *p, const PgQuery__RangeVar *rv,
                          const PgQuery__ColumnDef *cd)
{
	bool not_null = cd->is_not_null, has_default = cd->raw_default != NULL;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const Node *n = cd->constraints[i];
		if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		switch (n->constraint->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY: not_null = true; break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED: has_default = true; break;
		default: break;
		}
	}
	char *key = rv_key(p, rv);
	if (not_null && !has_default) {
		struct pf_gen g;
		gen_init(&g, PREFLIGHT_REQUIRED_COLUMN, key);
		g.what =
		    xasprintf("%s gets NOT NULL column %s without a default: every existing row "
		              "would hold NULL in it",
		              key, cd->colname);
		struct strbuf sb;
		strbuf_init(&sb);
		char *t = rv_sql(rv);
		strbuf_adds(&sb, "SELECT count(*) OVER () AS total, ");
		add_row_id(p, &sb, key, NULL);
		strbuf_addf(&sb, " AS sample FROM %s LIMIT 5", t);
		free(t);
		g.sql = strbuf_detach(&sb);
		emit_gen(p, &g);
	}
	column_added(p, key, cd->colname);
	free(key);
}

static void on_alter_type(struct preflight_plan *p, const PgQuery__RangeVar *rv,
                          const PgQuery__AlterTableCmd *cmd)
{
	const PgQuery__ColumnDef *cd = coldef_of(cmd->def);
	char *key = rv_key(p, rv);
	const char *first =
	    cd && cd->type_name && cd->type_name->n_names ? str_of(cd->type_name->names[0]) : NULL;
	bool builtin = first && strcmp(first, "pg_catalog") == 0;
	if (cd && cd->type_name) {
		char *type = names_key(p, cd->type_name->names, cd->type_name->n_names);
		const PgQuery__CaseExpr *ce = as_case(cd->raw_default);
		struct pf_enum *e = NULL;
		struct pf_gen g;
		if (ce && !else_keeps(ce, cmd->name)) {
			char *ctx =
			    xasprintf("ALTER COLUMN %s TYPE %s USING CASE", cmd->name, type);
			gen_case_else(p, &g, rv, ce, NULL, ctx);
			free(ctx);
			gen_ref(&g, key, cmd->name);
			emit_gen(p, &g);
		} else if (!ce && !builtin && cd->type_name->n_array_bounds == 0 &&
		           (e = enum_known(p, type)) != NULL) {
			gen_enum_using(p, &g, rv, cmd->name, type, e, cd->raw_default);
			emit_gen(p, &g);
		}
		free(type);
	}
	/* The values change: later checks on this table see converted rows. */
	table_changed(p, key);
	free(key);
}

static void on_alter_table(struct preflight_plan *p, const PgQuery__AlterTableStmt *s)
{
	if (!s->relation || (s->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE &&
	                     s->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TYPE_UNDEFINED))
		return;
	const PgQuery__RangeVar *rv = s->relation;
	for (size_t i = 0; i < s->n_cmds; i++) {
		if (s->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = s->cmds[i]->alter_table_cmd;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
				on_constraint(p, rv, cmd->def->constraint, false);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
			on_validate(p, rv, cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull: {
			struct pf_gen g;
			gen_nulls(p, &g, rv, cmd->name, "becomes NOT NULL");
			emit_gen(p, &g);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			if (coldef_of(cmd->def))
				on_add_column(p, rv, coldef_of(cmd->def));
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			on_alter_type(p, rv, cmd);
			break;
		default: break;
		}
	}
}

static void on_index(struct preflight_plan *p, const PgQuery__IndexStmt *s)
{
	if (!s->unique || !s->relation || s->n_index_params == 0)
		return;
	const char **names = xcalloc(s->n_index_params, sizeof *names);
	Node **exprs = xcalloc(s->n_index_params, sizeof *exprs);
	bool ok = true;
	for (size_t i = 0; i < s->n_index_params; i++) {
		const Node *n = s->index_params[i];
		if (n->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM) {
			ok = false;
			break;
		}
		const PgQuery__IndexElem *e = n->index_elem;
		names[i] = has_text(e->name) ? e->name : NULL;
		exprs[i] = e->expr;
		ok = names[i] || exprs[i];
	}
	if (ok) {
		struct pf_gen g;
		gen_unique(p, &g, s->relation, s->idxname, names, exprs, s->n_index_params,
		           s->where_clause, s->nulls_not_distinct, s->primary);
		emit_gen(p, &g);
	}
	free(names);
	free(exprs);
}

static void on_update(struct preflight_plan *p, const PgQuery__UpdateStmt *s)
{
	if (!s->relation)
		return;
	char *key = rv_key(p, s->relation);
	/* With FROM or WITH, the conditions may read other relations: the
	 * query would have to be the whole UPDATE turned into a SELECT. */
	bool simple = s->n_from_clause == 0 && !s->with_clause;
	for (size_t i = 0; simple && i < s->n_target_list; i++) {
		const Node *t = s->target_list[i];
		if (t->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
			continue;
		const PgQuery__ResTarget *rt = t->res_target;
		const PgQuery__CaseExpr *ce = as_case(rt->val);
		if (!ce || else_keeps(ce, rt->name))
			continue;
		char *ctx = xasprintf("UPDATE %s SET %s = CASE", s->relation->relname, rt->name);
		struct pf_gen g;
		gen_case_else(p, &g, s->relation, ce, s->where_clause, ctx);
		free(ctx);
		emit_gen(p, &g);
	}
	table_changed(p, key);
	free(key);
}

static void on_rename(struct preflight_plan *p, const PgQuery__RenameStmt *s)
{
	if (!s->relation)
		return;
	char *key = rv_key(p, s->relation);
	if (s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN && has_text(s->newname)) {
		column_added(p, key, s->newname);
	} else if (s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && has_text(s->newname)) {
		char *to = xasprintf("%s.%s",
		                     has_text(s->relation->schemaname) ? s->relation->schemaname
		                                                       : p->schema,
		                     s->newname);
		table_created(p, to);
		free(to);
	}
	free(key);
}

static void on_stmt(struct preflight_plan *p, const Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT: {
		const PgQuery__CreateStmt *s = n->create_stmt;
		/* IF NOT EXISTS may name a table that is there: the run-time
		 * existence test decides for those. */
		if (s->relation && !s->if_not_exists) {
			char *key = rv_key(p, s->relation);
			table_created(p, key);
			free(key);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *s = n->create_table_as_stmt;
		if (s->into && s->into->rel && !s->if_not_exists) {
			char *key = rv_key(p, s->into->rel);
			table_created(p, key);
			free(key);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT: {
		const PgQuery__CreateEnumStmt *s = n->create_enum_stmt;
		char *key = names_key(p, s->type_name, s->n_type_name);
		struct pf_enum *e = plan_enum(p, key, true);
		strvec_clear(&e->labels);
		for (size_t i = 0; i < s->n_vals; i++)
			if (str_of(s->vals[i]))
				strvec_push(&e->labels, str_of(s->vals[i]));
		free(key);
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT: {
		const PgQuery__AlterEnumStmt *s = n->alter_enum_stmt;
		if (!has_text(s->new_val))
			break;
		char *key = names_key(p, s->type_name, s->n_type_name);
		struct pf_enum *e = enum_known(p, key);
		if (e && has_text(s->old_val)) {
			int at = strvec_find(&e->labels, s->old_val); /* RENAME VALUE */
			if (at >= 0) {
				free(e->labels.items[at]);
				e->labels.items[at] = xstrdup(s->new_val);
			}
		} else if (e && strvec_find(&e->labels, s->new_val) < 0) {
			strvec_push(&e->labels, s->new_val);
		}
		free(key);
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: on_alter_table(p, n->alter_table_stmt); break;
	case PG_QUERY__NODE__NODE_INDEX_STMT: on_index(p, n->index_stmt); break;
	case PG_QUERY__NODE__NODE_UPDATE_STMT: on_update(p, n->update_stmt); break;
	case PG_QUERY__NODE__NODE_RENAME_STMT: on_rename(p, n->rename_stmt); break;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
	case PG_QUERY__NODE__NODE_DELETE_STMT:
	case PG_QUERY__NODE__NODE_MERGE_STMT:
	case PG_QUERY__NODE__NODE_COPY_STMT: {
		const PgQuery__RangeVar *rv =
		    n->node_case == PG_QUERY__NODE__NODE_INSERT_STMT   ? n->insert_stmt->relation
		    : n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT ? n->delete_stmt->relation
		    : n->node_case == PG_QUERY__NODE__NODE_MERGE_STMT  ? n->merge_stmt->relation
		    : n->copy_stmt->is_from                            ? n->copy_stmt->relation
		                                                       : NULL;
		if (rv) {
			char *key = rv_key(p, rv);
			table_changed(p, key);
			free(key);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT: {
		const PgQuery__TruncateStmt *s = n->truncate_stmt;
		for (size_t i = 0; i < s->n_relations; i++) {
			if (s->relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
				continue;
			char *key = rv_key(p, s->relations[i]->range_var);
			table_changed(p, key);
			free(key);
		}
		break;
	}
	default: break;
	}
}

void preflight_generate(struct preflight_plan *p, const char *label, const struct risk_report *rep,
                        struct preflight_list *out)
{
	p->label = label ? label : "";
	p->out = out;
	for (size_t i = 0; i < rep->n_stmts; i++) {
		const struct risk_stmt *st = &rep->stmts[i];
		p->stmt = i;
		p->line = st->line;
		if (st->node) { /* the risk engine's tree: no second parse */
			on_stmt(p, st->node);
			continue;
		}
		PgQueryProtobufParseResult r = pg_query_parse_protobuf(st->sql);
		if (!r.error) {
			PgQuery__ParseResult *pr = pg_query__parse_result__unpack(
			    NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
			for (size_t k = 0; pr && k < pr->n_stmts; k++)
				if (pr->stmts[k]->stmt)
					on_stmt(p, pr->stmts[k]->stmt);
			if (pr)
				pg_query__parse_result__free_unpacked(pr, NULL);
		}
		pg_query_free_protobuf_parse_result(r);
	}
	p->out = NULL;
}
