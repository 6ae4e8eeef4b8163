/* risk_column: the column subcommands of ALTER TABLE (ADD, DROP, SET/DROP
 * NOT NULL, SET DEFAULT, TYPE) and the columns of CREATE TABLE. What a column
 * change costs depends on what the section knows about the column: its type,
 * its nullability, validated NOT NULL checks and the objects that use it. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "pgstep/xalloc.h"
#include "risk_int.h"

static const PgQuery__ColumnDef *cmd_coldef(const PgQuery__AlterTableCmd *cmd)
{
	return cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
	           ? cmd->def->column_def
	           : NULL;
}

enum up_list { UP_RELATIONS, UP_COLUMNS, UP_RETYPED };

/* In a down section: did the up section create (or retype) key? */
static bool up_has(struct risk_ctx *c, enum up_list which, const char *key)
{
	const struct risk_report *up = c->opt->up;
	if (!up)
		return false;
	const struct strvec *l = which == UP_RELATIONS ? &up->created_relations
	                         : which == UP_COLUMNS ? &up->created_columns
	                                               : &up->retyped_columns;
	return strvec_find(l, key) >= 0;
}

static bool is_serial(const char *base)
{
	static const char *const serials[] = {"serial",  "bigserial", "smallserial",
	                                      "serial2", "serial4",   "serial8"};
	for (size_t i = 0; i < sizeof serials / sizeof serials[0]; i++)
		if (strcmp(base, serials[i]) == 0)
			return true;
	return false;
}

static void domain_check(struct risk_at *a, const PgQuery__ColumnDef *cd)
{
	struct risk_ctx *c = a->c;
	char *tq = risk_type_qualified(c, cd->type_name);
	const struct rk_type *t = risk_type(c, tq, false);
	bool has_check = t && t->kind == 'd' && t->has_check;
	const struct risk_catalog *cat = c->opt->catalog;
	if (!t && cat && cat->domain_has_check)
		cat->domain_has_check(cat->ctx, tq, &has_check);
	if (has_check && !a->quiet)
		risk_rewrite(c, a->rel);
	if (has_check && !a->is_new) {
		risk_find(c, RULE_ADD_COLUMN_CONSTRAINED_DOMAIN, a->rel, cd->location,
		          "column %s of constrained domain %s rewrites %s and its indexes under an "
		          "ACCESS EXCLUSIVE lock",
		          cd->colname, tq, a->rel);
		risk_slow(c, a->rel);
	}
	free(tq);
}

void risk_at_add_column(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	const PgQuery__ColumnDef *cd = cmd_coldef(cmd);
	if (!cd)
		return;
	risk_dep_column(c, a->rel, cd); /* functions it calls: risk_ddl.c */
	char *type = risk_type_text(cd->type_name);
	const char *base = risk_type_base(cd->type_name);
	const Node *def = cd->raw_default;
	bool identity = false, generated = false, not_null = cd->is_not_null, pk = false;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *k = cd->constraints[i]->constraint;
		if (!k)
			continue;
		switch (k->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT: def = k->raw_expr; break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY: identity = true; break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED: generated = true; break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL: not_null = true; break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY: pk = not_null = true; break;
		default: break;
		}
	}
	bool serial = is_serial(base);
	bool has_value =
	    (def && !(def->node_case == PG_QUERY__NODE__NODE_A_CONST && def->a_const->isnull)) ||
	    serial || identity || generated;
	struct rk_col *k = risk_col(c, a->rel, cd->colname, true);
	k->created = true;
	k->dropped = false;
	free(k->type);
	k->type = xstrdup(type);
	k->not_null = not_null;
	k->nullable = !not_null;
	k->has_default = has_value;
	if (!a->is_new) {
		char *key = xasprintf("%s.%s", a->rel, cd->colname);
		if (strvec_find(&c->rep->created_columns, key) < 0)
			strvec_push(&c->rep->created_columns, key);
		free(key);
	}
	RISK_SAY_AT(a, "adds column %s %s%s%s to %s", cd->colname, type,
	            not_null ? " NOT NULL" : "", def ? " with a default" : "", a->rel);

	if (strcmp(base, "json") == 0)
		risk_find(
		    c, RULE_JSON_COLUMN, a->rel, cd->location,
		    "column %s of %s has type json, which has no equality operator; use jsonb",
		    cd->colname, a->rel);

	/* enum-conversion-via-temp-column starts with a column of a user type
	 * (an enum created here or a type pgstep cannot see). */
	char *tq = risk_type_qualified(c, cd->type_name);
	const struct rk_type *ut = risk_type(c, tq, false);
	if (!a->is_new && ((ut && ut->kind == 'e') || (!ut && risk_type_is_user(cd->type_name)))) {
		XGROW(c->convs, c->cap_convs, c->n_convs + 1);
		struct rk_conv *cv = &c->convs[c->n_convs++];
		memset(cv, 0, sizeof *cv);
		cv->rel = xstrdup(a->rel);
		cv->newcol = xstrdup(cd->colname);
		cv->type = xstrdup(tq);
		strvec_init(&cv->dropped);
	}
	free(tq);

	/* Filling the column rewrites the table even when it is new (and
	 * empty): the rewrite is a fact, the findings are for existing tables.
	 * A column of CREATE TABLE (quiet) rewrites nothing. */
	const char *fn = NULL;
	bool volatile_def =
	    !serial && !identity && !generated && def && risk_expr_volatile(c, def, &fn);
	if (!a->quiet && (serial || identity || generated || volatile_def))
		risk_rewrite(c, a->rel);
	if (!a->is_new) {
		if (serial || identity) {
			risk_find(c, RULE_ADD_COLUMN_SERIAL_OR_IDENTITY, a->rel, cd->location,
			          "%s column %s fills every existing row of %s from a sequence, "
			          "rewriting "
			          "the table under an ACCESS EXCLUSIVE lock",
			          serial ? base : "identity", cd->colname, a->rel);
			risk_slow(c, a->rel);
		} else if (generated) {
			risk_find(
			    c, RULE_ADD_COLUMN_GENERATED_STORED, a->rel, cd->location,
			    "stored generated column %s is computed for every row of %s, rewriting "
			    "the table under an ACCESS EXCLUSIVE lock",
			    cd->colname, a->rel);
			risk_slow(c, a->rel);
		} else if (volatile_def) {
			risk_find(c, RULE_ADD_COLUMN_VOLATILE_DEFAULT, a->rel, cd->location,
			          "default of column %s calls %s%s, which may be volatile: every "
			          "row of %s "
			          "is rewritten under an ACCESS EXCLUSIVE lock",
			          cd->colname, fn, strcmp(fn, "a subquery") ? "()" : "", a->rel);
			risk_slow(c, a->rel);
		} else if (not_null && !has_value) {
			risk_effect(c, RISK_FX_CAN_FAIL);
			risk_find(
			    c, RULE_ADD_COLUMN_REQUIRED, a->rel, cd->location,
			    "NOT NULL column %s without a default fails on any row of %s, and "
			    "INSERTs that omit it start failing",
			    cd->colname, a->rel);
		}
	}
	domain_check(a, cd);
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *kc = cd->constraints[i]->constraint;
		if (kc && !(pk && kc->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL))
			risk_at_constraint(a, kc, cd->colname, has_value);
	}
	free(type);
}

void risk_at_column_default(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	if (cmd->def)
		risk_say(a->c, "sets the default of %s.%s (new rows only, no rewrite)", a->rel,
		         cmd->name);
	else
		risk_say(a->c, "drops the default of %s.%s", a->rel, cmd->name);
}

void risk_at_drop_not_null(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	struct rk_col *k = risk_col(c, a->rel, cmd->name, true);
	k->not_null = false;
	k->nullable = true;
	risk_say(c, "lets %s.%s hold NULL", a->rel, cmd->name);
	if (!a->is_new)
		risk_find(c, RULE_DROP_NOT_NULL, a->rel, a->location,
		          "%s.%s may now be NULL: code that assumed it never is will see NULLs",
		          a->rel, cmd->name);
}

void risk_at_set_not_null(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	struct rk_col *k = risk_col(c, a->rel, cmd->name, true);
	bool proven = k->notnull_check_valid || k->not_null;
	struct risk_col_facts f;
	if (!proven && !k->created && risk_facts_col(c, a->rel, cmd->name, &f))
		proven = f.not_null || f.has_valid_not_null_check;
	k->not_null = true;
	k->nullable = false;
	if (proven || a->is_new) {
		risk_say(c, "makes %s.%s NOT NULL (proven by a validated CHECK: no scan)", a->rel,
		         cmd->name);
		return;
	}
	risk_say(c, "makes %s.%s NOT NULL, checking every row", a->rel, cmd->name);
	risk_effect(c, RISK_FX_SCAN | RISK_FX_CAN_FAIL);
	risk_find(
	    c, RULE_SET_NOT_NULL_SCAN, a->rel, a->location,
	    "SET NOT NULL on %s.%s scans every row under an ACCESS EXCLUSIVE lock and fails if a "
	    "NULL exists",
	    a->rel, cmd->name);
	risk_slow(c, a->rel);
}

/* Objects of the section that still use rel.col. */
static size_t column_dependents(struct risk_ctx *c, const char *rel, const char *col,
                                struct strbuf *names)
{
	size_t n = 0;
	char *key = xasprintf("%s.%s", rel, col);
	for (size_t i = 0; i < c->n_rels; i++) {
		const struct rk_rel *r = &c->rels[i];
		if (r->dropped)
			continue;
		bool uses = (r->kind == 'i' && r->table && strcmp(r->table, rel) == 0 &&
		             strvec_find(&r->cols, col) >= 0) ||
		            ((r->kind == 'v' || r->kind == 'm') && strvec_find(&r->cols, key) >= 0);
		if (uses) {
			strbuf_addf(names, "%s%s %s", n ? ", " : "",
			            r->kind == 'i' ? "index" : "view", r->name);
			n++;
		}
	}
	for (size_t i = 0; i < c->n_cons; i++) {
		const struct rk_con *k = &c->cons[i];
		if (k->dropped || strcmp(k->rel, rel) != 0 || strvec_find(&k->cols, col) < 0)
			continue;
		/* A single-column constraint goes with its column. */
		if (k->cols.n == 1 && k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			continue;
		strbuf_addf(names, "%sconstraint %s", n ? ", " : "", k->name);
		n++;
	}
	free(key);
	return n;
}

void risk_at_drop_column(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	bool cascade = cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	risk_say(c, "drops column %s.%s and its data", a->rel, cmd->name);
	struct strbuf deps;
	strbuf_init(&deps);
	size_t n = column_dependents(c, a->rel, cmd->name, &deps);
	struct risk_col_facts f;
	if (!a->is_new && risk_facts_col(c, a->rel, cmd->name, &f) && f.n_dependents > 0 &&
	    n == 0) {
		strbuf_addf(&deps, "%d object%s in the database", f.n_dependents,
		            f.n_dependents == 1 ? "" : "s");
		n = (size_t)f.n_dependents;
	}
	if (n)
		risk_find(c, RULE_DROP_COLUMN_WITH_DEPENDENTS, a->rel, a->location,
		          "%s.%s is still used by %s: %s", a->rel, cmd->name, deps.buf,
		          cascade ? "CASCADE drops them too" : "the DROP fails");
	strbuf_release(&deps);
	if (cascade && !a->is_new)
		risk_find(
		    c, RULE_DROP_CASCADE, a->rel, a->location,
		    "DROP COLUMN %s.%s CASCADE silently drops every view, index and constraint "
		    "that uses it",
		    a->rel, cmd->name);
	char *key = xasprintf("%s.%s", a->rel, cmd->name);
	if (up_has(c, UP_COLUMNS, key) || up_has(c, UP_RELATIONS, a->rel)) {
		risk_find(c, RULE_DOWN_LOSES_DATA, a->rel, a->location,
		          "rolling back drops %s, which the up migration added: data written since "
		          "is lost",
		          key);
	} else if (!a->is_new) {
		risk_find(
		    c, RULE_DROP_COLUMN, a->rel, a->location,
		    "dropping %s.%s loses its data, and running code that still uses it fails",
		    a->rel, cmd->name);
	}
	free(key);
	struct rk_col *k = risk_col(c, a->rel, cmd->name, true);
	k->dropped = true;
	for (size_t i = 0; i < c->n_convs; i++)
		if (strcmp(c->convs[i].rel, a->rel) == 0)
			strvec_push(&c->convs[i].dropped, cmd->name);
	/* Its single-column constraints and indexes go with it. */
	for (size_t i = 0; i < c->n_cons; i++)
		if (strcmp(c->cons[i].rel, a->rel) == 0 &&
		    strvec_find(&c->cons[i].cols, cmd->name) >= 0)
			c->cons[i].dropped = true;
	for (size_t i = 0; i < c->n_rels; i++)
		if (c->rels[i].kind == 'i' && c->rels[i].table &&
		    strcmp(c->rels[i].table, a->rel) == 0 &&
		    strvec_find(&c->rels[i].cols, cmd->name) >= 0)
			c->rels[i].dropped = true;
}

enum type_change { TC_SAFE, TC_REWRITE, TC_UNKNOWN };

/* PostgreSQL 15's built-in casts, length coercions and default btree
 * operator classes (generated from its catalog: risk_pg15.sh). */
struct pg_cast {
	const char *src, *tgt;
	char method;      /* 'b' binary-coercible, 'f' function, 'i' I/O */
	char context;     /* 'i' implicit, 'a' assignment, 'e' explicit */
	const char *func; /* the function's C symbol (prosrc) */
};
#define PG_CATALOG_REL(n)
#define PG_LENGTH(t, sup)
#define PG_OPCLASS(t, o)
#define PG_CAST(s, t, m, x, f) {s, t, m, x, f},
static const struct pg_cast pg_casts[] = {
#include "risk_pg15.def"
};
#undef PG_CAST
#undef PG_LENGTH
#define PG_CAST(s, t, m, x, f)
#define PG_LENGTH(t, sup) {t, sup},
static const char *const pg_lengths[][2] = {
#include "risk_pg15.def"
};
#undef PG_LENGTH
#undef PG_OPCLASS
#define PG_LENGTH(t, sup)
#define PG_OPCLASS(t, o) {t, o},
static const char *const pg_opclasses[][2] = {
#include "risk_pg15.def"
};
#undef PG_CATALOG_REL
#undef PG_CAST
#undef PG_LENGTH
#undef PG_OPCLASS

/* A type as the engine writes it ("varchar(20)", "integer") or as
 * format_type does ("character varying(20)", "timestamp(3) with time
 * zone"), reduced to its pg_type name and typmods. */
struct typ {
	char name[64];
	int mods[2];
	int n_mods;
	bool array;
};

static void typ_parse(const char *t, struct typ *out)
{
	char buf[64];
	size_t n = 0;
	out->n_mods = 0;
	out->array = false;
	for (const char *p = t; *p && n + 1 < sizeof buf; p++) {
		if (*p == '(') {
			while (*p && *p != ')') {
				if (out->n_mods < 2 && (p[0] == '(' || p[0] == ','))
					out->mods[out->n_mods++] = atoi(p + 1);
				p++;
			}
			if (!*p)
				break;
			continue;
		}
		if (*p == '[') {
			out->array = true;
			break;
		}
		if (*p == ' ' && (n == 0 || buf[n - 1] == ' '))
			continue;
		buf[n++] = (char)tolower((unsigned char)*p);
	}
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	static const char *const alias[][2] = {
	    {"character varying", "varchar"},
	    {"character", "bpchar"},
	    {"char", "bpchar"},
	    {"int", "int4"},
	    {"integer", "int4"},
	    {"bigint", "int8"},
	    {"smallint", "int2"},
	    {"decimal", "numeric"},
	    {"dec", "numeric"},
	    {"real", "float4"},
	    {"float", "float8"},
	    {"double precision", "float8"},
	    {"boolean", "bool"},
	    {"bit varying", "varbit"},
	    {"timestamp with time zone", "timestamptz"},
	    {"timestamp without time zone", "timestamp"},
	    {"time with time zone", "timetz"},
	    {"time without time zone", "time"},
	};
	const char *name = buf;
	for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
		if (strcmp(buf, alias[i][0]) == 0)
			name = alias[i][1];
	snprintf(out->name, sizeof out->name, "%s", name);
}

static const char *pg_lookup(const char *const (*tab)[2], size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i][0], key) == 0)
			return tab[i][1];
	return NULL;
}

static const struct pg_cast *pg_cast_find(const char *src, const char *tgt)
{
	for (size_t i = 0; i < sizeof pg_casts / sizeof pg_casts[0]; i++)
		if (strcmp(pg_casts[i].src, src) == 0 && strcmp(pg_casts[i].tgt, tgt) == 0)
			return &pg_casts[i];
	return NULL;
}

static bool pg_builtin(const char *t)
{
	if (pg_lookup(pg_opclasses, sizeof pg_opclasses / sizeof *pg_opclasses, t) ||
	    pg_lookup(pg_lengths, sizeof pg_lengths / sizeof *pg_lengths, t))
		return true;
	for (size_t i = 0; i < sizeof pg_casts / sizeof pg_casts[0]; i++)
		if (strcmp(pg_casts[i].src, t) == 0 || strcmp(pg_casts[i].tgt, t) == 0)
			return true;
	return false;
}

/* The length coercion to t's new typmod, applied to a value whose typmod is
 * old (NULL: -1, as after a cast): whether it still runs once the planner's
 * support function (varchar_support, numeric_support, TemporalSimplify...)
 * has removed the ones that cannot change a value. */
static bool length_coercion_runs(const char *t, const struct typ *from, const struct typ *to)
{
	if (to->n_mods == 0)
		return false; /* typmod -1: a relabel */
	if (from && from->n_mods == to->n_mods &&
	    memcmp(from->mods, to->mods, sizeof(int) * (size_t)to->n_mods) == 0)
		return false; /* coerce_type_typmod: already done */
	const char *sup = pg_lookup(pg_lengths, sizeof pg_lengths / sizeof *pg_lengths, t);
	if (!sup)
		return false;
	bool has_old = from && from->n_mods > 0;
	if (strcmp(sup, "varchar_support") == 0 || strcmp(sup, "varbit_support") == 0)
		return !(has_old && from->mods[0] <= to->mods[0]);
	if (strcmp(sup, "numeric_support") == 0) {
		int os = has_old && from->n_mods > 1 ? from->mods[1] : 0;
		int ns = to->n_mods > 1 ? to->mods[1] : 0;
		return !(has_old && os == ns && from->mods[0] <= to->mods[0]);
	}
	if (strcmp(sup, "timestamp_support") == 0 || strcmp(sup, "time_support") == 0)
		/* MAX_TIMESTAMP_PRECISION and MAX_TIME_PRECISION are 6. */
		return !(to->mods[0] >= 6 || (has_old && from->mods[0] <= to->mods[0]));
	return true; /* bpchar, bit (no support function), interval */
}

struct type_change_fact {
	enum type_change kind;
	bool index_rebuild; /* no rewrite, but indexes on the column are rebuilt */
	bool tz;            /* free only because the session TimeZone is UTC */
};

/* Whether PostgreSQL 15 rewrites the table for old -> new (no USING), as
 * ATColumnChangeRequiresRewrite decides on the coercion expression: a
 * binary-coercible cast is a relabel, a length coercion that cannot change
 * a value is removed by its support function, timestamp <-> timestamptz is
 * free when the session TimeZone is UTC; any other function or I/O
 * conversion rewrites. Unchanged operator class: indexes are kept. */
static struct type_change_fact type_change_kind(const char *old, const char *new, bool utc)
{
	struct type_change_fact r = {TC_REWRITE, false, false};
	struct typ o, n;
	typ_parse(new, &n);
	if (!old) {
		/* Without the old type, a target that a widening could reach is
		 * not flagged; connected mode knows the old type. */
		if (!n.array && (strcmp(n.name, "text") == 0 || strcmp(n.name, "varchar") == 0 ||
		                 strcmp(n.name, "numeric") == 0 || strcmp(n.name, "varbit") == 0 ||
		                 strcmp(n.name, "inet") == 0))
			r.kind = TC_UNKNOWN;
		return r;
	}
	typ_parse(old, &o);
	if (strcmp(old, new) == 0 || (strcmp(o.name, n.name) == 0 && o.array == n.array &&
	                              o.n_mods == n.n_mods && n.n_mods == 0)) {
		r.kind = TC_SAFE;
		return r;
	}
	if (o.array || n.array || !pg_builtin(o.name) || !pg_builtin(n.name))
		return r; /* an array coercion, or a type of the database */
	if (strcmp(o.name, n.name) == 0) {
		r.kind = length_coercion_runs(n.name, &o, &n) ? TC_REWRITE : TC_SAFE;
		return r;
	}
	const struct pg_cast *k = pg_cast_find(o.name, n.name);
	if (!k || k->context == 'e')
		return r; /* I/O conversion, or USING is required */
	bool free_cast = k->method == 'b';
	if (k->method == 'f' &&
	    (strcmp(k->func, "timestamp_timestamptz") == 0 ||
	     strcmp(k->func, "timestamptz_timestamp") == 0) &&
	    utc) {
		free_cast = true;
		r.tz = true;
	}
	if (!free_cast || length_coercion_runs(n.name, NULL, &n))
		return r;
	r.kind = TC_SAFE;
	const char *oc =
	    pg_lookup(pg_opclasses, sizeof pg_opclasses / sizeof *pg_opclasses, o.name);
	const char *nc =
	    pg_lookup(pg_opclasses, sizeof pg_opclasses / sizeof *pg_opclasses, n.name);
	r.index_rebuild = oc && (!nc || strcmp(oc, nc) != 0);
	return r;
}

/* SET [LOCAL] timezone / SET TIME ZONE: whether the session's offset is a
 * fixed 0, which makes timestamp <-> timestamptz changes free. */
static bool tz_is_utc(const Node *v)
{
	if (!v)
		return false;
	if (v->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		v = v->type_cast->arg; /* INTERVAL '+00:00' HOUR TO MINUTE */
	if (!v || v->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return false;
	const PgQuery__AConst *a = v->a_const;
	if (a->val_case == PG_QUERY__A__CONST__VAL_IVAL)
		return a->ival->ival == 0;
	if (a->val_case == PG_QUERY__A__CONST__VAL_FVAL)
		return strtod(a->fval->fval, NULL) == 0;
	if (a->val_case != PG_QUERY__A__CONST__VAL_SVAL)
		return false;
	static const char *const zero[] = {
	    "utc",       "etc/utc",
	    "gmt",       "etc/gmt",
	    "uct",       "etc/uct",
	    "zulu",      "etc/zulu",
	    "universal", "etc/universal",
	    "greenwich", "etc/greenwich",
	    "gmt0",      "gmt+0",
	    "gmt-0",     "etc/gmt0",
	    "etc/gmt+0", "etc/gmt-0",
	    "z",         "0",
	    "+0",        "-0",
	    "00:00",     "+00:00",
	    "-00:00",    "+00",
	    "-00",
	};
	for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
		if (strcasecmp(a->sval->sval, zero[i]) == 0)
			return true;
	return false;
}

void risk_set_timezone(struct risk_ctx *c, const PgQuery__VariableSetStmt *s, bool reset)
{
	if (s->is_local && c->in_txn && !c->tz_local) {
		c->tz_utc_outer = c->tz_utc;
		c->tz_local = true;
	}
	c->tz_utc = reset ? c->opt->timezone_utc : s->n_args == 1 && tz_is_utc(s->args[0]);
	risk_say(c, "%s the session time zone%s", reset ? "resets" : "sets",
	         c->tz_utc ? " to UTC (timestamp <-> timestamptz changes need no rewrite)" : "");
}

/* USING col or USING col::type changes nothing by itself. */
static bool using_is_plain(const Node *u, const char *col)
{
	if (!u)
		return true;
	if (u->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		u = u->type_cast->arg;
	return u && u->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
	       strcmp(risk_names_last(u->column_ref->fields, u->column_ref->n_fields), col) == 0;
}

void risk_at_alter_type(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	const PgQuery__ColumnDef *cd = cmd_coldef(cmd);
	if (!cd)
		return;
	char *new = risk_type_text(cd->type_name);
	struct rk_col *k = risk_col(c, a->rel, cmd->name, true);
	const char *old = k->type;
	struct risk_col_facts f;
	if (!old && risk_facts_col(c, a->rel, cmd->name, &f) && f.type[0])
		old = f.type;
	bool plain = using_is_plain(cd->raw_default, cmd->name);
	struct type_change_fact tf = {TC_REWRITE, false, false};
	if (plain)
		tf = type_change_kind(old, new, c->tz_utc);
	enum type_change tc = tf.kind;
	if (tc == TC_REWRITE) {
		risk_say(c, "changes %s.%s to %s, rewriting the table and its indexes", a->rel,
		         cmd->name, new);
		risk_rewrite(c, a->rel);
		if (!a->is_new) {
			risk_effect(c, RISK_FX_CAN_FAIL);
			risk_find(c, RULE_ALTER_COLUMN_TYPE_REWRITE, a->rel, cd->location,
			          "changing %s.%s%s%s to %s%s rewrites %s and its indexes under an "
			          "ACCESS "
			          "EXCLUSIVE lock",
			          a->rel, cmd->name, old ? " from " : "", old ? old : "", new,
			          plain ? "" : " with USING", a->rel);
			risk_slow(c, a->rel);
		}
	} else if (tc == TC_UNKNOWN) {
		risk_say(
		    c, "changes %s.%s to %s (catalog-only if this widens the type, else a rewrite)",
		    a->rel, cmd->name, new);
	} else if (tf.index_rebuild) {
		risk_say(c,
		         "changes %s.%s to %s without rewriting the table%s, but rebuilds every "
		         "index on the column",
		         a->rel, cmd->name, new, tf.tz ? " (the session TimeZone is UTC)" : "");
	} else {
		risk_say(c, "changes %s.%s to %s without rewriting the table%s", a->rel, cmd->name,
		         new, tf.tz ? " (the session TimeZone is UTC)" : "");
	}
	char *key = xasprintf("%s.%s", a->rel, cmd->name);
	if (up_has(c, UP_RETYPED, key))
		risk_find(
		    c, RULE_DOWN_LOSES_DATA, a->rel, cd->location,
		    "rolling back changes the type of %s back: values written since that do not "
		    "fit the old type are lost or fail",
		    key);
	else if (!a->is_new && strvec_find(&c->rep->retyped_columns, key) < 0)
		strvec_push(&c->rep->retyped_columns, key);
	free(key);
	risk_alter_type_dependents(a, cmd, old, new); /* views and indexes: risk_ddl.c */
	free(k->type);
	k->type = new;
}

/* CREATE TABLE's columns and constraints: recorded like ADD COLUMN / ADD
 * CONSTRAINT on a new table, so the same state and rules apply. */
void risk_new_table_column(struct risk_ctx *c, const char *rel, const PgQuery__ColumnDef *cd)
{
	struct risk_at a = {
	    .c = c, .rel = (char *)rel, .is_new = true, .quiet = true, .location = cd->location};
	PgQuery__AlterTableCmd cmd = PG_QUERY__ALTER_TABLE_CMD__INIT;
	Node def = PG_QUERY__NODE__INIT;
	def.node_case = PG_QUERY__NODE__NODE_COLUMN_DEF;
	def.column_def = (PgQuery__ColumnDef *)cd;
	cmd.def = &def;
	risk_at_add_column(&a, &cmd);
}

void risk_new_table_constraint(struct risk_ctx *c, const char *rel, const PgQuery__Constraint *k)
{
	struct risk_at a = {
	    .c = c, .rel = (char *)rel, .is_new = true, .quiet = true, .location = k->location};
	risk_at_constraint(&a, k, NULL, false);
}
