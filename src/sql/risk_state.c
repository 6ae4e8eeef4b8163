/* risk_state: the helpers every risk handler uses. Names from parse-tree
 * nodes, the section's state (relations, columns, constraints, types and
 * functions the section created or changed), and the recording of locks,
 * effects, sentences and findings for the statement being analysed. Also a
 * generic walk over the parse tree by protobuf-c reflection, so that rules
 * looking for "any relation read" or "any function called" need no
 * hand-written traversal per node type. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pgstep/pbtree.h"
#include "pgstep/xalloc.h"
#include "pgstep/text.h"
#include "risk_int.h"

/* ---- names --------------------------------------------------------------- */

const char *risk_node_str(const Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_STRING)
		return n->string->sval;
	return NULL;
}

/* "a.b" without printf: names are built for every relation a statement
 * mentions. */
static char *dotted(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xmalloc(la + lb + 2);
	memcpy(s, a, la);
	s[la] = '.';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

char *risk_rv_name(struct risk_ctx *c, const PgQuery__RangeVar *rv)
{
	if (!rv)
		return xstrdup("?");
	bool qualified = rv->schemaname && *rv->schemaname;
	if (!qualified && rv->relpersistence && rv->relpersistence[0] == 't')
		return dotted("pg_temp", rv->relname);
	if (!qualified) {
		/* A temporary table of the section hides a permanent one. */
		char *tmp = dotted("pg_temp", rv->relname);
		if (risk_rel_is_new(c, tmp))
			return tmp;
		free(tmp);
		/* pg_catalog comes first in every search path: an unqualified
		 * pg_tables is the catalog's, unless the section made one of its
		 * own; a pg_orders is the user's. */
		if (risk_pg_catalog_rel(rv->relname)) {
			char *own = dotted(c->schema, rv->relname);
			if (risk_rel(c, own, false))
				return own;
			free(own);
			return dotted("pg_catalog", rv->relname);
		}
	}
	return dotted(qualified ? rv->schemaname : c->schema, rv->relname);
}

#define PG_CAST(s, t, m, x, f)
#define PG_LENGTH(t, sup)
#define PG_OPCLASS(t, o)
#define PG_CATALOG_REL(n) n,
static const char *const pg_catalog_rels[] = {
#include "risk_pg15.def"
};
#undef PG_CATALOG_REL
#undef PG_CAST
#undef PG_LENGTH
#undef PG_OPCLASS

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, *(const char *const *)b);
}

bool risk_pg_catalog_rel(const char *relname)
{
	/* The generator sorts by name (C collation for these ASCII names). */
	return bsearch(relname, pg_catalog_rels, sizeof pg_catalog_rels / sizeof *pg_catalog_rels,
	               sizeof *pg_catalog_rels, cmp_name) != NULL;
}

/* Catalog relations: their locks are claimed and marked as catalogs (only
 * VACUUM FULL or REINDEX of the catalog itself makes them matter). */
static bool is_system_rel(const char *rel)
{
	return strncmp(rel, "pg_catalog.", 11) == 0 ||
	       strncmp(rel, "information_schema.", 19) == 0 || strncmp(rel, "pg_toast.", 9) == 0;
}

char *risk_names_join(struct risk_ctx *c, Node *const *items, size_t n)
{
	struct strbuf sb;
	strbuf_init(&sb);
	size_t strings = 0;
	for (size_t i = 0; i < n; i++)
		if (risk_node_str(items[i]))
			strings++;
	if (strings == 1) {
		const char *only = risk_names_last(items, n);
		char *tmp = xasprintf("pg_temp.%s", only);
		bool temp = risk_rel_is_new(c, tmp);
		free(tmp);
		strbuf_addf(&sb, "%s.", temp ? "pg_temp" : c->schema);
	}
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		const char *s = risk_node_str(items[i]);
		if (!s)
			continue;
		if (!first)
			strbuf_addc(&sb, '.');
		strbuf_adds(&sb, s);
		first = false;
	}
	return strbuf_detach(&sb);
}

const char *risk_names_last(Node *const *items, size_t n)
{
	for (size_t i = n; i > 0; i--) {
		const char *s = risk_node_str(items[i - 1]);
		if (s)
			return s;
	}
	return "";
}

const char *risk_type_base(const PgQuery__TypeName *t)
{
	if (!t)
		return "";
	return risk_names_last(t->names, t->n_names);
}

bool risk_type_is_schema_qualified(const PgQuery__TypeName *t)
{
	if (!t || t->n_names < 2)
		return false;
	const char *s = risk_node_str(t->names[0]);
	return s && strcmp(s, "pg_catalog") != 0;
}

/* Types the parser does not qualify with pg_catalog but that are built in
 * (or ship with common extensions). */
static const char *const builtin_types[] = {
    "text",      "varchar",     "char",        "bpchar",   "bytea",   "date",      "time",
    "timetz",    "timestamp",   "timestamptz", "interval", "uuid",    "json",      "jsonb",
    "xml",       "money",       "inet",        "cidr",     "macaddr", "macaddr8",  "point",
    "line",      "lseg",        "box",         "path",     "polygon", "circle",    "tsvector",
    "tsquery",   "int4range",   "int8range",   "numrange", "tsrange", "tstzrange", "daterange",
    "int2",      "int4",        "int8",        "float4",   "float8",  "numeric",   "bool",
    "boolean",   "oid",         "regclass",    "name",     "citext",  "hstore",    "serial",
    "bigserial", "smallserial", "serial2",     "serial4",  "serial8", "bit",       "varbit",
    "smallint",  "integer",     "bigint",      "real",     "decimal", "ltree",     "geometry",
    "geography", "vector",
};

bool risk_type_is_user(const PgQuery__TypeName *t)
{
	if (!t || t->n_names == 0)
		return false;
	const char *first = risk_node_str(t->names[0]);
	if (first && strcmp(first, "pg_catalog") == 0)
		return false;
	if (t->n_names > 1)
		return true;
	const char *base = risk_type_base(t);
	for (size_t i = 0; i < sizeof builtin_types / sizeof builtin_types[0]; i++)
		if (strcmp(base, builtin_types[i]) == 0)
			return false;
	return true;
}

/* The SQL spelling of an internal type name, as a reader expects it. */
static const char *sql_type_name(const char *internal)
{
	static const char *const names[][2] = {
	    {"int2", "smallint"},
	    {"int4", "integer"},
	    {"int8", "bigint"},
	    {"float4", "real"},
	    {"float8", "double precision"},
	    {"bool", "boolean"},
	    {"bpchar", "char"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(internal, names[i][0]) == 0)
			return names[i][1];
	return internal;
}

char *risk_type_text(const PgQuery__TypeName *t)
{
	struct strbuf sb;
	strbuf_init(&sb);
	if (!t)
		return strbuf_detach(&sb);
	bool first = true;
	for (size_t i = 0; i < t->n_names; i++) {
		const char *s = risk_node_str(t->names[i]);
		if (!s || (strcmp(s, "pg_catalog") == 0 && t->n_names > 1))
			continue;
		if (!first)
			strbuf_addc(&sb, '.');
		strbuf_adds(&sb, sql_type_name(s));
		first = false;
	}
	if (t->n_typmods) {
		strbuf_addc(&sb, '(');
		for (size_t i = 0; i < t->n_typmods; i++) {
			const Node *m = t->typmods[i];
			if (i)
				strbuf_addc(&sb, ',');
			if (m->node_case == PG_QUERY__NODE__NODE_A_CONST &&
			    m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
				strbuf_addf(&sb, "%d", (int)m->a_const->ival->ival);
			else
				strbuf_addc(&sb, '?');
		}
		strbuf_addc(&sb, ')');
	}
	if (t->n_array_bounds)
		strbuf_adds(&sb, "[]");
	for (size_t i = 0; i < sb.len; i++)
		sb.buf[i] = (char)tolower((unsigned char)sb.buf[i]);
	return strbuf_detach(&sb);
}

char *risk_type_qualified(struct risk_ctx *c, const PgQuery__TypeName *t)
{
	if (!t || t->n_names == 0)
		return xstrdup("?");
	return risk_names_join(c, t->names, t->n_names);
}

/* ---- state ----------------------------------------------------------------- */

struct rk_rel *risk_rel(struct risk_ctx *c, const char *name, bool create)
{
	for (size_t i = 0; i < c->n_rels; i++)
		if (strcmp(c->rels[i].name, name) == 0)
			return &c->rels[i];
	if (!create)
		return NULL;
	XGROW(c->rels, c->cap_rels, c->n_rels + 1);
	struct rk_rel *r = &c->rels[c->n_rels++];
	memset(r, 0, sizeof *r);
	r->name = xstrdup(name);
	strvec_init(&r->cols);
	strvec_init(&r->refs);
	return r;
}

bool risk_rel_is_new(struct risk_ctx *c, const char *name)
{
	const struct rk_rel *r = risk_rel(c, name, false);
	return r && r->created && !r->dropped;
}

void risk_rel_created(struct risk_ctx *c, const char *name, char kind)
{
	struct rk_rel *r = risk_rel(c, name, true);
	r->created = true;
	r->dropped = false;
	r->kind = kind;
	r->file_txn = c->txn;
	if (strvec_find(&c->rep->created_relations, name) < 0)
		strvec_push(&c->rep->created_relations, name);
}

struct rk_col *risk_col(struct risk_ctx *c, const char *rel, const char *col, bool create)
{
	for (size_t i = 0; i < c->n_cols; i++)
		if (strcmp(c->cols[i].name, col) == 0 && strcmp(c->cols[i].rel, rel) == 0)
			return &c->cols[i];
	if (!create)
		return NULL;
	XGROW(c->cols, c->cap_cols, c->n_cols + 1);
	struct rk_col *k = &c->cols[c->n_cols++];
	memset(k, 0, sizeof *k);
	k->rel = xstrdup(rel);
	k->name = xstrdup(col);
	return k;
}

struct rk_con *risk_con(struct risk_ctx *c, const char *rel, const char *name, bool create)
{
	for (size_t i = 0; i < c->n_cons; i++) {
		struct rk_con *k = &c->cons[i];
		if (strcmp(k->name, name) == 0 && (!rel || strcmp(k->rel, rel) == 0))
			return k;
	}
	if (!create)
		return NULL;
	XGROW(c->cons, c->cap_cons, c->n_cons + 1);
	struct rk_con *k = &c->cons[c->n_cons++];
	memset(k, 0, sizeof *k);
	k->rel = xstrdup(rel);
	k->name = xstrdup(name);
	k->stmt = c->si;
	k->location = -1;
	strvec_init(&k->cols);
	return k;
}

struct rk_type *risk_type(struct risk_ctx *c, const char *name, bool create)
{
	for (size_t i = 0; i < c->n_types; i++)
		if (strcmp(c->types[i].name, name) == 0)
			return &c->types[i];
	if (!create)
		return NULL;
	XGROW(c->types, c->cap_types, c->n_types + 1);
	struct rk_type *t = &c->types[c->n_types++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	return t;
}

struct rk_func *risk_func(struct risk_ctx *c, const char *name, bool create)
{
	for (size_t i = 0; i < c->n_funcs; i++)
		if (strcmp(c->funcs[i].name, name) == 0)
			return &c->funcs[i];
	if (!create)
		return NULL;
	XGROW(c->funcs, c->cap_funcs, c->n_funcs + 1);
	struct rk_func *f = &c->funcs[c->n_funcs++];
	memset(f, 0, sizeof *f);
	f->name = xstrdup(name);
	strvec_init(&f->body);
	return f;
}

bool risk_facts_rel(struct risk_ctx *c, const char *rel, struct risk_rel_facts *out)
{
	const struct risk_catalog *cat = c->opt->catalog;
	memset(out, 0, sizeof *out);
	out->rows = out->bytes = -1;
	return cat && cat->relation && cat->relation(cat->ctx, rel, out);
}

bool risk_facts_col(struct risk_ctx *c, const char *rel, const char *col,
                    struct risk_col_facts *out)
{
	const struct risk_catalog *cat = c->opt->catalog;
	memset(out, 0, sizeof *out);
	return cat && cat->column && cat->column(cat->ctx, rel, col, out);
}

/* ---- recording ------------------------------------------------------------- */

void risk_lock(struct risk_ctx *c, const char *rel, enum risk_lock mode)
{
	struct risk_stmt *st = c->st;
	if (!rel || mode == RISK_LOCK_NONE)
		return;
	bool found = false;
	for (size_t i = 0; i < st->n_locks; i++) {
		if (strcmp(st->locks[i].relation, rel) == 0) {
			if (mode > st->locks[i].mode)
				st->locks[i].mode = mode;
			found = true;
			break;
		}
	}
	if (!found) {
		XGROW(st->locks, st->cap_locks, st->n_locks + 1);
		struct risk_lock_claim *l = &st->locks[st->n_locks++];
		l->relation = xstrdup(rel);
		l->mode = mode;
		l->new_relation = risk_rel_is_new(c, rel);
		l->catalog = is_system_rel(rel);
		l->type = false;
	}
	/* A catalog's lock is listed, but the rules about holding locks are
	 * about the application's tables. */
	if (is_system_rel(rel))
		return;
	/* Locks are held to the end of the transaction: remember the strongest
	 * one per relation for the rules about what happens while holding it. */
	for (size_t i = 0; i < c->n_held; i++) {
		if (strcmp(c->held[i].rel, rel) == 0) {
			if (mode > c->held[i].mode) {
				c->held[i].mode = mode;
				c->held[i].stmt = c->si;
			}
			return;
		}
	}
	XGROW(c->held, c->cap_held, c->n_held + 1);
	c->held[c->n_held].rel = xstrdup(rel);
	c->held[c->n_held].mode = mode;
	c->held[c->n_held].stmt = c->si;
	c->n_held++;
}

void risk_effect(struct risk_ctx *c, unsigned fx)
{
	if (c->plan_only == 0)
		c->st->effects |= fx;
}

void risk_rewrite(struct risk_ctx *c, const char *rel)
{
	if (c->plan_only)
		return;
	risk_effect(c, RISK_FX_REWRITE);
	if (rel)
		risk_rel(c, rel, true)->file_txn = c->txn;
}

static void lock_partitions(struct risk_ctx *c, const char *rel, enum risk_lock mode, int depth)
{
	if (depth > 8)
		return;
	for (size_t i = 0; i < c->n_rels; i++) {
		/* Indexes name their table here too; partitions name their parent. */
		if (c->rels[i].kind == 'i' || !c->rels[i].table || c->rels[i].dropped ||
		    strcmp(c->rels[i].table, rel) != 0)
			continue;
		char *child = xstrdup(c->rels[i].name); /* risk_lock may move c->rels */
		risk_lock(c, child, mode);
		lock_partitions(c, child, mode, depth + 1);
		free(child);
	}
}

void risk_lock_partitions(struct risk_ctx *c, const char *rel, enum risk_lock mode)
{
	if (rel)
		lock_partitions(c, rel, mode, 0);
}

void risk_kind(struct risk_ctx *c, const char *kind)
{
	/* Inside a DO block or a replayed function the statement keeps the
	 * outer kind: the body's statements only add to it. */
	if (c->body_depth == 0 && c->plan_only == 0)
		c->st->kind = kind;
}

void risk_say(struct risk_ctx *c, const char *fmt, ...)
{
	if (c->plan_only)
		return;
	va_list ap;
	struct strbuf sb;
	strbuf_init(&sb);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (strvec_find(&c->phrases, sb.buf) >= 0) {
		strbuf_release(&sb);
		return;
	}
	strvec_push_owned(&c->phrases, strbuf_detach(&sb));
}

void risk_slow(struct risk_ctx *c, const char *rel)
{
	if (c->plan_only)
		return;
	c->slow = true;
	if (!c->slow_rel && rel)
		c->slow_rel = xstrdup(rel);
}

/* Line and column (characters) of a byte offset of the analysed text,
 * walked from the current statement's start when it lies before. */
static void text_pos_from(struct risk_ctx *c, const struct risk_stmt *st, size_t off, int *line,
                          int *col)
{
	struct text_pos p = {0, c->base_line, 1};
	if (st && st->offset >= c->opt->base_offset && st->offset - c->opt->base_offset <= off)
		p = (struct text_pos){st->offset - c->opt->base_offset, st->line, st->col};
	text_pos_advance(c->text, &p, off);
	*line = p.line;
	*col = p.col;
}

static void text_pos(struct risk_ctx *c, size_t off, int *line, int *col)
{
	text_pos_from(c, c->st, off, line, col);
}

/* Connected: a rewrite or scan costs what the table holds. Rewriting or
 * scanning an empty (one page or less) table is a fact, not a warning; a big
 * one says how big. */
static void scale_by_size(struct risk_ctx *c, struct risk_finding *f)
{
	struct risk_rel_facts facts;
	if (!f->relation || !(f->rule->effects & (RISK_FX_REWRITE | RISK_FX_SCAN)) ||
	    f->severity != RISK_WARN || !risk_facts_rel(c, f->relation, &facts) || !facts.exists)
		return;
	char *msg;
	if (facts.rows == 0 || (facts.bytes >= 0 && facts.bytes <= 8192)) {
		f->severity = RISK_INFO;
		msg = xasprintf("%s (%s is empty: no cost now)", f->message, f->relation);
	} else if (facts.rows > 0 && facts.bytes > 0) {
		char *size = text_bytes(facts.bytes); /* as the lock lines print it */
		msg = xasprintf("%s (%s: about %lld rows, %s)", f->message, f->relation,
		                (long long)facts.rows, size);
		free(size);
	} else {
		return;
	}
	free(f->message);
	f->message = msg;
}

__attribute__((format(printf, 6, 0))) static void add_finding(struct risk_ctx *c,
                                                              struct risk_stmt *st, enum rule_id r,
                                                              const char *rel, int location,
                                                              const char *fmt, va_list ap);

static void add_finding(struct risk_ctx *c, struct risk_stmt *st, enum rule_id r, const char *rel,
                        int location, const char *fmt, va_list ap)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_vaddf(&sb, fmt, ap);
	for (size_t i = 0; i < st->n_findings; i++) {
		if (st->findings[i].rule == risk_rule_get(r) &&
		    strcmp(st->findings[i].message, sb.buf) == 0) {
			strbuf_release(&sb);
			return;
		}
	}
	XGROW(st->findings, st->cap_findings, st->n_findings + 1);
	struct risk_finding *f = &st->findings[st->n_findings++];
	memset(f, 0, sizeof *f);
	f->rule = risk_rule_get(r);
	f->severity = f->rule->severity;
	f->message = strbuf_detach(&sb);
	f->relation = rel ? xstrdup(rel) : NULL;
	f->line = st->line;
	f->col = st->col;
	/* Locations inside a replayed body point into another text. */
	if (location >= 0 && c->body_depth == 0 && st == c->st)
		text_pos(c, (size_t)location, &f->line, &f->col);
	st->effects |= f->rule->effects & ~(unsigned)RISK_FX_NO_TXN;
	scale_by_size(c, f);
}

void risk_find(struct risk_ctx *c, enum rule_id r, const char *rel, int location, const char *fmt,
               ...)
{
	if (c->plan_only)
		return;
	va_list ap;
	va_start(ap, fmt);
	add_finding(c, c->st, r, rel, location, fmt, ap);
	va_end(ap);
}

void risk_find_at_loc(struct risk_ctx *c, size_t stmt, enum rule_id r, const char *rel,
                      int location, const char *fmt, ...)
{
	if (c->plan_only)
		return;
	struct risk_stmt *st = &c->rep->stmts[stmt];
	va_list ap;
	va_start(ap, fmt);
	add_finding(c, st, r, rel, -1, fmt, ap);
	va_end(ap);
	if (location >= 0 && st->n_findings) {
		struct risk_finding *f = &st->findings[st->n_findings - 1];
		if (f->rule == risk_rule_get(r))
			text_pos_from(c, st, (size_t)location, &f->line, &f->col);
	}
}

void risk_find_at(struct risk_ctx *c, size_t stmt, enum rule_id r, const char *rel, const char *fmt,
                  ...)
{
	if (c->plan_only)
		return;
	va_list ap;
	va_start(ap, fmt);
	add_finding(c, &c->rep->stmts[stmt], r, rel, -1, fmt, ap);
	va_end(ap);
}

/* ---- generic walk ------------------------------------------------------------ */

void risk_walk(const ProtobufCMessage *m, risk_visit_fn fn, void *arg)
{
	if (!m || !fn(m, arg))
		return;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	/* A Node is a oneof of some 250 message fields: go straight to the one
	 * that is set instead of looking at each (the walk's hot spot). */
	if (d == &pg_query__node__descriptor) {
		const Node *n = (const Node *)m;
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field(d, (unsigned)n->node_case);
		if (f && f->type == PROTOBUF_C_TYPE_MESSAGE)
			risk_walk(*(ProtobufCMessage *const *)(base + f->offset), fn, arg);
		return;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *items =
			    *(ProtobufCMessage *const *const *)(base + f->offset);
			for (size_t j = 0; j < n; j++)
				risk_walk(items[j], fn, arg);
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);
			if (which != f->id)
				continue;
		}
		risk_walk(*(ProtobufCMessage *const *)(base + f->offset), fn, arg);
	}
}

/* ---- queries ----------------------------------------------------------------- */

struct reads {
	struct risk_ctx *c;
	struct strvec ctes;
	enum risk_lock mode;
	const struct strvec *of; /* FOR UPDATE OF: the names it locks; NULL: all */
};

static bool reads_visit(const ProtobufCMessage *m, void *arg);

/* The sequence named by a constant argument ('s' or 's'::regclass). */
static char *seq_arg(struct risk_ctx *c, const Node *a)
{
	if (a->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		a = a->type_cast->arg;
	if (!a || a->node_case != PG_QUERY__NODE__NODE_A_CONST ||
	    a->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
		return NULL;
	const char *seq = a->a_const->sval->sval;
	return strchr(seq, '.') ? xstrdup(seq) : xasprintf("%s.%s", c->schema, seq);
}

static void reads_walk_list(struct reads *r, Node *const *items, size_t n, enum risk_lock mode)
{
	enum risk_lock saved = r->mode;
	r->mode = mode;
	for (size_t i = 0; i < n; i++)
		risk_walk(&items[i]->base, reads_visit, r);
	r->mode = saved;
}

/* A WITH clause's names are CTEs everywhere in its statement. The walk
 * reaches a statement's FROM list before its WITH clause, so the names are
 * taken when the statement itself is visited. */
static void reads_ctes(struct reads *r, const PgQuery__WithClause *w)
{
	for (size_t i = 0; w && i < w->n_ctes; i++)
		if (w->ctes[i]->node_case == PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR)
			strvec_push(&r->ctes, w->ctes[i]->common_table_expr->ctename);
}

static bool reads_visit(const ProtobufCMessage *m, void *arg)
{
	struct reads *r = arg;
	struct risk_ctx *c = r->c;
	if (RISK_IS(m, insert_stmt))
		reads_ctes(r, ((const PgQuery__InsertStmt *)m)->with_clause);
	else if (RISK_IS(m, update_stmt))
		reads_ctes(r, ((const PgQuery__UpdateStmt *)m)->with_clause);
	else if (RISK_IS(m, delete_stmt))
		reads_ctes(r, ((const PgQuery__DeleteStmt *)m)->with_clause);
	else if (RISK_IS(m, merge_stmt))
		reads_ctes(r, ((const PgQuery__MergeStmt *)m)->with_clause);
	if (RISK_IS(m, select_stmt)) {
		const PgQuery__SelectStmt *s = (const void *)m;
		reads_ctes(r, s->with_clause);
		if (s->n_locking_clause == 0)
			return true;
		/* FOR UPDATE / FOR SHARE: ROW SHARE on what the FROM clause reads,
		 * or on the relations of its OF list (measured). */
		if (s->with_clause)
			risk_walk(&s->with_clause->base, reads_visit, r);
		struct strvec of;
		strvec_init(&of);
		bool all = false;
		for (size_t i = 0; i < s->n_locking_clause; i++) {
			const Node *lc = s->locking_clause[i];
			if (lc->node_case != PG_QUERY__NODE__NODE_LOCKING_CLAUSE)
				continue;
			all |= lc->locking_clause->n_locked_rels == 0;
			for (size_t k = 0; k < lc->locking_clause->n_locked_rels; k++) {
				const Node *rn = lc->locking_clause->locked_rels[k];
				if (rn->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
					strvec_push(&of, rn->range_var->relname);
			}
		}
		const struct strvec *saved_of = r->of;
		r->of = all ? NULL : &of;
		reads_walk_list(r, s->from_clause, s->n_from_clause, RISK_LOCK_ROW_SHARE);
		r->of = saved_of;
		strvec_clear(&of);
		reads_walk_list(r, s->target_list, s->n_target_list, r->mode);
		if (s->where_clause)
			risk_walk(&s->where_clause->base, reads_visit, r);
		return false;
	}
	if (RISK_IS(m, range_var)) {
		const PgQuery__RangeVar *rv = (const void *)m;
		if ((!rv->schemaname || !*rv->schemaname) &&
		    strvec_find(&r->ctes, rv->relname) >= 0)
			return false;
		char *name = risk_rv_name(c, rv);
		enum risk_lock mode = r->mode;
		if (mode == RISK_LOCK_ROW_SHARE && r->of &&
		    strvec_find(r->of, rv->alias && *rv->alias->aliasname ? rv->alias->aliasname
		                                                          : rv->relname) < 0)
			mode = RISK_LOCK_ACCESS_SHARE;
		risk_lock(c, name, mode);
		free(name);
		return false;
	}
	if (RISK_IS(m, func_call)) {
		const PgQuery__FuncCall *f = (const void *)m;
		const char *fname = risk_names_last(f->funcname, f->n_funcname);
		/* Planning runs no function: no sequence is touched, no body
		 * replayed. */
		if (c->plan_only)
			return true;
		if ((strcmp(fname, "setval") == 0 || strcmp(fname, "nextval") == 0) &&
		    f->n_args >= 1) {
			/* Both take ROW EXCLUSIVE on the sequence (measured). */
			char *seq = seq_arg(c, f->args[0]);
			if (seq)
				risk_lock(c, seq, RISK_LOCK_ROW_EXCLUSIVE);
			/* setval(seq, max(id)) is the safe form; a constant hands
			 * out ids that may already exist. */
			if (strcmp(fname, "setval") == 0 && f->n_args >= 2 &&
			    f->args[1]->node_case == PG_QUERY__NODE__NODE_A_CONST) {
				const char *what = seq ? seq : "a sequence";
				if (!seq || !risk_rel_is_new(c, seq))
					risk_find(c, RULE_SEQUENCE_RESET, seq, f->location,
					          "setval() moves %s%s to a fixed value; ids that "
					          "already "
					          "exist can be handed out again",
					          seq ? "sequence " : "", what);
				risk_say(c, "moves %s%s to a fixed value", seq ? "sequence " : "",
				         what);
			}
			free(seq);
		}
		risk_call_function(c, fname);
		return true;
	}
	return true;
}

void risk_query_reads_with(struct risk_ctx *c, const ProtobufCMessage *q,
                           const PgQuery__WithClause *with)
{
	struct reads r = {.c = c, .mode = RISK_LOCK_ACCESS_SHARE};
	strvec_init(&r.ctes);
	reads_ctes(&r, with);
	risk_walk(q, reads_visit, &r);
	strvec_clear(&r.ctes);
}

void risk_query_reads(struct risk_ctx *c, const ProtobufCMessage *q)
{
	risk_query_reads_with(c, q, NULL);
}

static bool const_true(const Node *n)
{
	if (!n)
		return false;
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST)
		return n->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL &&
		       n->a_const->boolval->boolval;
	if (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && n->type_cast->arg &&
	    n->type_cast->arg->node_case == PG_QUERY__NODE__NODE_A_CONST) {
		const PgQuery__AConst *k = n->type_cast->arg->a_const;
		if (k->val_case == PG_QUERY__A__CONST__VAL_SVAL) {
			const char *s = k->sval->sval;
			return strcmp(s, "t") == 0 || strcmp(s, "true") == 0;
		}
	}
	return false;
}

static bool same_const(const Node *a, const Node *b)
{
	if (!a || !b || a->node_case != PG_QUERY__NODE__NODE_A_CONST ||
	    b->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return false;
	const PgQuery__AConst *x = a->a_const, *y = b->a_const;
	if (x->val_case != y->val_case)
		return false;
	switch (x->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL: return x->ival->ival == y->ival->ival;
	case PG_QUERY__A__CONST__VAL_SVAL: return strcmp(x->sval->sval, y->sval->sval) == 0;
	case PG_QUERY__A__CONST__VAL_FVAL: return strcmp(x->fval->fval, y->fval->fval) == 0;
	default: return false;
	}
}

bool risk_expr_tautology(const Node *e)
{
	if (!e)
		return false;
	if (const_true(e))
		return true;
	if (e->node_case == PG_QUERY__NODE__NODE_A_EXPR) {
		const PgQuery__AExpr *x = e->a_expr;
		const char *op = risk_names_last(x->name, x->n_name);
		if (x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP &&
		    (strcmp(op, "=") == 0 || strcmp(op, "<=") == 0 || strcmp(op, ">=") == 0))
			return same_const(x->lexpr, x->rexpr);
		return false;
	}
	if (e->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR) {
		const PgQuery__BoolExpr *b = e->bool_expr;
		if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR) {
			for (size_t i = 0; i < b->n_args; i++)
				if (risk_expr_tautology(b->args[i]))
					return true;
		} else if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
			for (size_t i = 0; i < b->n_args; i++)
				if (!risk_expr_tautology(b->args[i]))
					return false;
			return b->n_args > 0;
		}
	}
	return false;
}

/* Built-in functions that are not volatile (stable or immutable), so a
 * DEFAULT calling only these is evaluated once and ADD COLUMN stays
 * catalog-only. Anything else may be volatile: user functions are VOLATILE
 * unless declared otherwise. */
static const char *const nonvolatile[] = {
    "abs",
    "age",
    "array_length",
    "array_to_string",
    "btrim",
    "cardinality",
    "ceil",
    "ceiling",
    "char_length",
    "character_length",
    "coalesce",
    "concat",
    "concat_ws",
    "current_database",
    "current_schema",
    "current_setting",
    "current_user",
    "date_part",
    "date_trunc",
    "decode",
    "encode",
    "extract",
    "floor",
    "format",
    "greatest",
    "initcap",
    "json_build_array",
    "json_build_object",
    "jsonb_build_array",
    "jsonb_build_object",
    "least",
    "left",
    "length",
    "localtime",
    "localtimestamp",
    "lower",
    "lpad",
    "ltrim",
    "make_date",
    "make_interval",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "md5",
    "now",
    "nullif",
    "octet_length",
    "position",
    "power",
    "regexp_replace",
    "repeat",
    "replace",
    "right",
    "round",
    "rpad",
    "rtrim",
    "sha256",
    "split_part",
    "sqrt",
    "statement_timestamp",
    "strpos",
    "substr",
    "substring",
    "timezone",
    "to_char",
    "to_date",
    "to_json",
    "to_jsonb",
    "to_number",
    "to_timestamp",
    "transaction_timestamp",
    "translate",
    "trim",
    "trunc",
    "txid_current",
    "upper",
};

static bool is_nonvolatile(const char *name)
{
	for (size_t i = 0; i < sizeof nonvolatile / sizeof nonvolatile[0]; i++)
		if (strcmp(nonvolatile[i], name) == 0)
			return true;
	return false;
}

struct volatile_walk {
	struct risk_ctx *c;
	const char *fn;
};

static bool volatile_visit(const ProtobufCMessage *m, void *arg)
{
	struct volatile_walk *v = arg;
	if (v->fn)
		return false;
	if (RISK_IS(m, func_call)) {
		const PgQuery__FuncCall *f = (const void *)m;
		const char *name = risk_names_last(f->funcname, f->n_funcname);
		if (!is_nonvolatile(name) && !risk_func_nonvolatile(v->c, name))
			v->fn = name;
	}
	if (RISK_IS(m, sub_link))
		v->fn = "a subquery";
	return true;
}

bool risk_expr_volatile(struct risk_ctx *c, const Node *expr, const char **fn)
{
	struct volatile_walk v = {.c = c};
	if (expr)
		risk_walk(&expr->base, volatile_visit, &v);
	if (fn)
		*fn = v.fn;
	return v.fn != NULL;
}
