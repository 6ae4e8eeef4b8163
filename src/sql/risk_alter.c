/* risk_alter: ALTER TABLE (and ALTER INDEX / VIEW / MATERIALIZED VIEW /
 * SEQUENCE, which share its parse node). One statement can hold several
 * subcommands; each is handled through a table indexed by subcommand type
 * that gives the lock it takes (measured on PostgreSQL 15) and the function
 * that applies its rules. The statement takes the strongest of the locks and
 * the union of the effects, as PostgreSQL does. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "pgstep/xalloc.h"
#include "risk_int.h"

struct at {
	struct risk_ctx *c;
	const PgQuery__AlterTableStmt *stmt;
	char *rel;
	bool is_new; /* created in this section: new and empty */
	bool quiet;  /* part of CREATE TABLE: no sentence of its own */
	int location;
};

#define SAY(a, ...)                                                                                \
	do {                                                                                       \
		if (!(a)->quiet)                                                                   \
			risk_say((a)->c, __VA_ARGS__);                                             \
	} while (0)

typedef void (*at_fn)(struct at *a, const PgQuery__AlterTableCmd *cmd);

struct at_entry {
	enum risk_lock lock; /* on the altered relation; NONE: the function decides */
	at_fn fn;
	const char *say; /* sentence part when fn is NULL */
};

/* ---- helpers --------------------------------------------------------------- */

static const PgQuery__ColumnDef *cmd_coldef(const PgQuery__AlterTableCmd *cmd)
{
	return cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
	           ? cmd->def->column_def
	           : NULL;
}

static const PgQuery__Constraint *cmd_constraint(const PgQuery__AlterTableCmd *cmd)
{
	return cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
	           ? cmd->def->constraint
	           : NULL;
}

static const char *table_part(const char *rel)
{
	const char *dot = strrchr(rel, '.');
	return dot ? dot + 1 : rel;
}

static bool colref_visit(const ProtobufCMessage *m, void *arg)
{
	if (RISK_IS(m, column_ref)) {
		const PgQuery__ColumnRef *r = (const void *)m;
		const char *name = risk_names_last(r->fields, r->n_fields);
		if (*name && strvec_find(arg, name) < 0)
			strvec_push(arg, name);
		return false;
	}
	return true;
}

/* Columns an expression reads. */
static void expr_columns(const Node *e, struct strvec *out)
{
	if (e)
		risk_walk(&e->base, colref_visit, out);
}

static void name_list(Node *const *items, size_t n, struct strvec *out)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = risk_node_str(items[i]);
		if (!s && items[i]->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM)
			s = items[i]->index_elem->name;
		if (s && *s)
			strvec_push(out, s);
	}
}

/* The name PostgreSQL gives an unnamed constraint (ChooseConstraintName). */
static char *default_conname(const char *rel, const struct strvec *cols, const char *suffix)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_adds(&sb, table_part(rel));
	for (size_t i = 0; i < cols->n; i++) {
		strbuf_addc(&sb, '_');
		strbuf_adds(&sb, cols->items[i]);
		if (strcmp(suffix, "check") == 0)
			break; /* CHECK names use the first column only */
	}
	strbuf_addc(&sb, '_');
	strbuf_adds(&sb, suffix);
	return strbuf_detach(&sb);
}

/* "col IS NOT NULL": the column, or NULL. */
static const char *notnull_check_column(const Node *e)
{
	if (!e || e->node_case != PG_QUERY__NODE__NODE_NULL_TEST)
		return NULL;
	const PgQuery__NullTest *t = e->null_test;
	if (t->nulltesttype != PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL || !t->arg ||
	    t->arg->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return NULL;
	return risk_names_last(t->arg->column_ref->fields, t->arg->column_ref->n_fields);
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

/* ---- constraints ------------------------------------------------------------- */

/* Record and judge one constraint added to a.rel, from ADD CONSTRAINT or
 * inline in ADD COLUMN (col != NULL; col_has_value: the new column has a
 * non-NULL default, so a foreign key must be checked). */
static void add_constraint(struct at *a, const PgQuery__Constraint *k, const char *col,
                           bool col_has_value)
{
	struct risk_ctx *c = a->c;
	struct strvec cols;
	strvec_init(&cols);
	const char *suffix = NULL;
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		suffix = "check";
		if (col)
			strvec_push(&cols, col);
		expr_columns(k->raw_expr, &cols);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		suffix = "fkey";
		if (col)
			strvec_push(&cols, col);
		name_list(k->fk_attrs, k->n_fk_attrs, &cols);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		suffix = "key";
		if (col)
			strvec_push(&cols, col);
		name_list(k->keys, k->n_keys, &cols);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		suffix = "pkey";
		if (col)
			strvec_push(&cols, col);
		name_list(k->keys, k->n_keys, &cols);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		suffix = "excl";
		for (size_t i = 0; i < k->n_exclusions; i++) {
			const Node *pair = k->exclusions[i];
			if (pair->node_case == PG_QUERY__NODE__NODE_LIST && pair->list->n_items &&
			    pair->list->items[0]->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM &&
			    *pair->list->items[0]->index_elem->name)
				strvec_push(&cols, pair->list->items[0]->index_elem->name);
		}
		break;
	default: strvec_clear(&cols); return;
	}
	char *name = *k->conname ? xstrdup(k->conname)
	                         : (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY
	                                ? xasprintf("%s_pkey", table_part(a->rel))
	                                : default_conname(a->rel, &cols, suffix));
	struct rk_con *con = risk_con(c, a->rel, name, true);
	con->contype = k->contype;
	con->not_valid = k->skip_validation;
	con->validated = !k->skip_validation;
	con->dropped = false;
	con->txn = c->txn;
	strvec_clear(&con->cols);
	for (size_t i = 0; i < cols.n; i++)
		strvec_push(&con->cols, cols.items[i]);
	const char *cols0 = cols.n ? cols.items[0] : "";
	bool existing = !a->is_new;

	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK: {
		const char *nn = notnull_check_column(k->raw_expr);
		if (nn) {
			free(con->notnull_col);
			con->notnull_col = xstrdup(nn);
			if (!k->skip_validation)
				risk_col(c, a->rel, nn, true)->notnull_check_valid = true;
		}
		if (k->skip_validation) {
			SAY(a, "adds CHECK %s NOT VALID (new rows only, no scan)", name);
		} else {
			SAY(a, "adds CHECK %s, checking every existing row", name);
			if (existing)
				risk_effect(c, RISK_FX_SCAN | RISK_FX_CAN_FAIL);
			if (existing && !(col && !col_has_value)) {
				risk_find(c, RULE_ADD_CHECK_WITHOUT_NOT_VALID, a->rel, k->location,
				          "CHECK %s on %s scans every row under an ACCESS "
				          "EXCLUSIVE lock and "
				          "fails on a violating row",
				          name, a->rel);
				risk_slow(c, a->rel);
			} else if (existing) {
				risk_find(c, RULE_ADD_CHECK_WITHOUT_NOT_VALID, a->rel, k->location,
				          "inline CHECK on new column %s of %s still scans %s "
				          "under an ACCESS "
				          "EXCLUSIVE lock",
				          col, a->rel, a->rel);
				risk_slow(c, a->rel);
			}
		}
		break;
	}
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN: {
		char *ref = risk_rv_name(c, k->pktable);
		free(con->ref_rel);
		con->ref_rel = xstrdup(ref);
		struct rk_rel *r = risk_rel(c, a->rel, true);
		if (strvec_find(&r->refs, ref) < 0)
			strvec_push(&r->refs, ref);
		if (!a->quiet)
			risk_lock(c, a->rel, RISK_LOCK_SHARE_ROW_EXCLUSIVE);
		risk_lock(c, ref, RISK_LOCK_SHARE_ROW_EXCLUSIVE);
		bool checks_rows = existing && !k->skip_validation && (!col || col_has_value);
		if (k->skip_validation)
			SAY(a, "adds foreign key %s to %s NOT VALID (new rows only, no scan)", name,
			    ref);
		else
			SAY(a, "adds foreign key %s (%s) referencing %s", name, cols0, ref);
		if (checks_rows) {
			risk_effect(c, RISK_FX_SCAN | RISK_FX_CAN_FAIL);
			risk_find(
			    c, RULE_ADD_FK_WITHOUT_NOT_VALID, a->rel, k->location,
			    "foreign key %s checks every row of %s against %s while writes to both "
			    "wait, and fails on an orphan row",
			    name, a->rel, ref);
			risk_slow(c, a->rel);
		}
		if (!risk_rel_is_new(c, ref))
			risk_find(
			    c, RULE_FK_LOCKS_REFERENCED_TABLE, ref, k->location,
			    "foreign key %s locks %s SHARE ROW EXCLUSIVE: writes to it wait until "
			    "the transaction ends",
			    name, ref);
		free(ref);
		break;
	}
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY: {
		bool pk = k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
		const char *what = pk ? "primary key" : "unique constraint";
		if (pk)
			for (size_t i = 0; i < cols.n; i++)
				risk_col(c, a->rel, cols.items[i], true)->not_null = true;
		if (*k->indexname) {
			SAY(a, "adds %s %s using the existing index %s", what, name, k->indexname);
			if (!pk || !existing)
				break;
			/* PRIMARY KEY USING INDEX sets the columns NOT NULL: a scan
			 * unless they already are. */
			char *ix = strchr(k->indexname, '.')
			               ? xstrdup(k->indexname)
			               : xasprintf("%s.%s", c->schema, k->indexname);
			const struct rk_rel *idx = risk_rel(c, ix, false);
			for (size_t i = 0; idx && i < idx->cols.n; i++) {
				const struct rk_col *kc =
				    risk_col(c, a->rel, idx->cols.items[i], false);
				struct risk_col_facts f;
				bool nullable = kc && kc->nullable && !kc->notnull_check_valid;
				if (!kc && risk_facts_col(c, a->rel, idx->cols.items[i], &f))
					nullable =
					    f.exists && !f.not_null && !f.has_valid_not_null_check;
				if (nullable) {
					risk_effect(c, RISK_FX_SCAN);
					risk_find(
					    c, RULE_PK_USING_INDEX_NULLABLE, a->rel, k->location,
					    "primary key %s on %s makes nullable column %s NOT "
					    "NULL, "
					    "scanning the table under an ACCESS EXCLUSIVE lock",
					    name, a->rel, idx->cols.items[i]);
					risk_slow(c, a->rel);
					break;
				}
			}
			free(ix);
			break;
		}
		SAY(a, "adds %s %s (%s), building its index", what, name, cols0);
		if (!existing)
			break;
		risk_lock(c, a->rel, RISK_LOCK_ACCESS_EXCLUSIVE);
		risk_effect(c, RISK_FX_SCAN | RISK_FX_CAN_FAIL);
		risk_find(
		    c, pk ? RULE_ADD_PRIMARY_KEY_BLOCKING : RULE_ADD_UNIQUE_CONSTRAINT_BLOCKING,
		    a->rel, k->location,
		    "%s %s on %s builds its index with a full scan while reads and writes wait",
		    what, name, a->rel);
		risk_find(c, RULE_UNIQUE_MAY_FAIL_ON_DUPLICATES, a->rel, k->location,
		          "%s %s on %s fails if existing rows hold duplicate keys", what, name,
		          a->rel);
		risk_slow(c, a->rel);
		break;
	}
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		SAY(a, "adds exclusion constraint %s, building its index", name);
		if (existing) {
			risk_effect(c, RISK_FX_SCAN | RISK_FX_CAN_FAIL);
			risk_find(
			    c, RULE_ADD_EXCLUSION_CONSTRAINT, a->rel, k->location,
			    "exclusion constraint %s on %s builds its index with a full scan while "
			    "reads and writes wait (NOT VALID is not possible)",
			    name, a->rel);
			risk_slow(c, a->rel);
		}
		break;
	default: break;
	}
	free(name);
	strvec_clear(&cols);
}

/* ---- subcommands -------------------------------------------------------------- */

static bool is_serial(const char *base)
{
	static const char *const serials[] = {"serial",  "bigserial", "smallserial",
	                                      "serial2", "serial4",   "serial8"};
	for (size_t i = 0; i < sizeof serials / sizeof serials[0]; i++)
		if (strcmp(base, serials[i]) == 0)
			return true;
	return false;
}

static void domain_check(struct at *a, const PgQuery__ColumnDef *cd)
{
	struct risk_ctx *c = a->c;
	char *tq = risk_type_qualified(c, cd->type_name);
	const struct rk_type *t = risk_type(c, tq, false);
	bool has_check = t && t->kind == 'd' && t->has_check;
	const struct risk_catalog *cat = c->opt->catalog;
	if (!t && cat && cat->domain_has_check)
		cat->domain_has_check(cat->ctx, tq, &has_check);
	if (has_check) {
		risk_effect(c, RISK_FX_REWRITE);
		risk_find(c, RULE_ADD_COLUMN_CONSTRAINED_DOMAIN, a->rel, cd->location,
		          "column %s of constrained domain %s rewrites %s and its indexes under an "
		          "ACCESS EXCLUSIVE lock",
		          cd->colname, tq, a->rel);
		risk_slow(c, a->rel);
	}
	free(tq);
}

static void at_add_column(struct at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	const PgQuery__ColumnDef *cd = cmd_coldef(cmd);
	if (!cd)
		return;
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
	SAY(a, "adds column %s %s%s%s to %s", cd->colname, type, not_null ? " NOT NULL" : "",
	    def ? " with a default" : "", a->rel);

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

	if (!a->is_new) {
		const char *fn = NULL;
		if (serial || identity) {
			risk_effect(c, RISK_FX_REWRITE);
			risk_find(c, RULE_ADD_COLUMN_SERIAL_OR_IDENTITY, a->rel, cd->location,
			          "%s column %s fills every existing row of %s from a sequence, "
			          "rewriting "
			          "the table under an ACCESS EXCLUSIVE lock",
			          serial ? base : "identity", cd->colname, a->rel);
			risk_slow(c, a->rel);
		} else if (generated) {
			risk_effect(c, RISK_FX_REWRITE);
			risk_find(
			    c, RULE_ADD_COLUMN_GENERATED_STORED, a->rel, cd->location,
			    "stored generated column %s is computed for every row of %s, rewriting "
			    "the table under an ACCESS EXCLUSIVE lock",
			    cd->colname, a->rel);
			risk_slow(c, a->rel);
		} else if (def && risk_expr_volatile(c, def, &fn)) {
			risk_effect(c, RISK_FX_REWRITE);
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
		domain_check(a, cd);
	}
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *kc = cd->constraints[i]->constraint;
		if (kc && !(pk && kc->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL))
			add_constraint(a, kc, cd->colname, has_value);
	}
	free(type);
}

static void at_column_default(struct at *a, const PgQuery__AlterTableCmd *cmd)
{
	if (cmd->def)
		risk_say(a->c, "sets the default of %s.%s (new rows only, no rewrite)", a->rel,
		         cmd->name);
	else
		risk_say(a->c, "drops the default of %s.%s", a->rel, cmd->name);
}

static void at_drop_not_null(struct at *a, const PgQuery__AlterTableCmd *cmd)
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

static void at_set_not_null(struct at *a, const PgQuery__AlterTableCmd *cmd)
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

static void at_drop_column(struct at *a, const PgQuery__AlterTableCmd *cmd)
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

/* Split "varchar(20)" into base "varchar" and typmods. */
static void type_split(const char *t, char *base, size_t n, int mods[2], int *n_mods)
{
	size_t i = 0;
	while (t[i] && t[i] != '(' && i + 1 < n) {
		base[i] = t[i];
		i++;
	}
	base[i] = '\0';
	*n_mods = 0;
	const char *p = strchr(t, '(');
	while (p && *n_mods < 2) {
		mods[(*n_mods)++] = atoi(p + 1);
		p = strchr(p + 1, ',');
	}
}

static const char *canonical_type(const char *b)
{
	static const char *const alias[][2] = {
	    {"character varying", "varchar"},
	    {"int", "int4"},
	    {"integer", "int4"},
	    {"bigint", "int8"},
	    {"smallint", "int2"},
	    {"decimal", "numeric"},
	    {"real", "float4"},
	    {"double precision", "float8"},
	    {"char", "bpchar"},
	    {"bit varying", "varbit"},
	    {"timestamp with time zone", "timestamptz"},
	    {"timestamp without time zone", "timestamp"},
	    {"bool", "boolean"},
	};
	for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
		if (strcmp(b, alias[i][0]) == 0)
			return alias[i][1];
	return b;
}

/* Whether PostgreSQL 15 rewrites the table for old -> new (no USING). */
static enum type_change type_change_kind(const char *old, const char *new, bool utc)
{
	char ob[64], nb[64];
	int om[2], nm[2], on, nn;
	type_split(new, nb, sizeof nb, nm, &nn);
	const char *n = canonical_type(nb);
	if (!old) {
		/* Without the old type, a target that a widening could reach is
		 * not flagged; connected mode knows the old type. */
		if (strcmp(n, "text") == 0 || strcmp(n, "varchar") == 0 ||
		    strcmp(n, "numeric") == 0 || strcmp(n, "varbit") == 0 || strcmp(n, "inet") == 0)
			return TC_UNKNOWN;
		return TC_REWRITE;
	}
	type_split(old, ob, sizeof ob, om, &on);
	const char *o = canonical_type(ob);
	if (strcmp(old, new) == 0)
		return TC_SAFE;
	if (strcmp(o, "varchar") == 0 && strcmp(n, "text") == 0)
		return TC_SAFE;
	if ((strcmp(o, "varchar") == 0 && strcmp(n, "varchar") == 0) ||
	    (strcmp(o, "varbit") == 0 && strcmp(n, "varbit") == 0))
		return nn == 0 || (on == 1 && nm[0] >= om[0]) ? TC_SAFE : TC_REWRITE;
	if (strcmp(o, "numeric") == 0 && strcmp(n, "numeric") == 0) {
		if (nn == 0)
			return TC_SAFE;
		if (on == 0)
			return TC_REWRITE;
		int os = on > 1 ? om[1] : 0, ns = nn > 1 ? nm[1] : 0;
		return nm[0] >= om[0] && ns == os ? TC_SAFE : TC_REWRITE;
	}
	if (strcmp(o, "cidr") == 0 && strcmp(n, "inet") == 0)
		return TC_SAFE;
	if (strcmp(o, "timestamp") == 0 && strcmp(n, "timestamptz") == 0)
		return utc ? TC_SAFE : TC_REWRITE;
	if (strcmp(o, n) == 0 && on == nn &&
	    (on == 0 || memcmp(om, nm, sizeof(int) * (size_t)on) == 0))
		return TC_SAFE;
	return TC_REWRITE;
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

static void at_alter_type(struct at *a, const PgQuery__AlterTableCmd *cmd)
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
	enum type_change tc = plain ? type_change_kind(old, new, c->opt->timezone_utc) : TC_REWRITE;
	if (tc == TC_REWRITE) {
		risk_say(c, "changes %s.%s to %s, rewriting the table and its indexes", a->rel,
		         cmd->name, new);
		if (!a->is_new) {
			risk_effect(c, RISK_FX_REWRITE | RISK_FX_CAN_FAIL);
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
	} else {
		risk_say(c, "changes %s.%s to %s (binary-coercible: no rewrite)", a->rel, cmd->name,
		         new);
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
	free(k->type);
	k->type = new;
}

static void at_add_constraint(struct at *a, const PgQuery__AlterTableCmd *cmd)
{
	const PgQuery__Constraint *k = cmd_constraint(cmd);
	if (!k)
		return;
	/* A foreign key takes SHARE ROW EXCLUSIVE; everything else ACCESS
	 * EXCLUSIVE (measured). */
	if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
		risk_lock(a->c, a->rel, RISK_LOCK_ACCESS_EXCLUSIVE);
	add_constraint(a, k, NULL, false);
}

static void at_validate(struct at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	struct rk_con *k = risk_con(c, a->rel, cmd->name, false);
	risk_say(c, "validates constraint %s against every row of %s (writes continue)", cmd->name,
	         a->rel);
	if (!a->is_new)
		risk_effect(c, RISK_FX_SCAN | RISK_FX_CAN_FAIL);
	if (k && k->ref_rel)
		risk_lock(c, k->ref_rel, RISK_LOCK_ROW_SHARE);
	if (c->in_txn && !a->is_new) {
		const struct rk_held *strong = NULL;
		for (size_t i = 0; i < c->n_held; i++)
			if (c->held[i].stmt < c->si && strcmp(c->held[i].rel, a->rel) == 0 &&
			    c->held[i].mode >= RISK_LOCK_SHARE_ROW_EXCLUSIVE)
				strong = &c->held[i];
		if (k && k->not_valid && k->txn == c->txn)
			risk_find(c, RULE_VALIDATE_IN_SAME_TRANSACTION, a->rel, a->location,
			          "constraint %s was added NOT VALID in this same transaction: its "
			          "%s lock "
			          "on %s is held through the validation scan",
			          cmd->name,
			          k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN
			              ? "SHARE ROW EXCLUSIVE"
			              : "ACCESS EXCLUSIVE",
			          a->rel);
		else if (strong)
			risk_find(
			    c, RULE_VALIDATE_IN_SAME_TRANSACTION, a->rel, a->location,
			    "validating %s scans %s while this transaction still holds %s on it "
			    "(from line %d)",
			    cmd->name, a->rel, risk_lock_sql_name(strong->mode),
			    c->rep->stmts[strong->stmt].line);
		else
			risk_slow(c, a->rel);
	}
	if (k) {
		k->validated = true;
		if (k->notnull_col)
			risk_col(c, a->rel, k->notnull_col, true)->notnull_check_valid = true;
	}
}

static void at_drop_constraint(struct at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	struct rk_con *k = risk_con(c, a->rel, cmd->name, false);
	size_t n = strlen(cmd->name);
	bool fk = k ? k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN
	            : n > 5 && strcmp(cmd->name + n - 5, "_fkey") == 0;
	risk_say(c, "drops constraint %s of %s", cmd->name, a->rel);
	if (cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE && !a->is_new)
		risk_find(
		    c, RULE_DROP_CASCADE, a->rel, a->location,
		    "DROP CONSTRAINT %s CASCADE also drops the foreign keys that depend on it",
		    cmd->name);
	if (fk && k && k->ref_rel)
		risk_lock(c, k->ref_rel, RISK_LOCK_ACCESS_EXCLUSIVE);
	if (!a->is_new) {
		if (fk)
			risk_find(c, RULE_DROP_FOREIGN_KEY, a->rel, a->location,
			          "dropping foreign key %s locks %s and %s ACCESS EXCLUSIVE, and "
			          "integrity "
			          "is no longer enforced",
			          cmd->name, a->rel,
			          k && k->ref_rel ? k->ref_rel : "the referenced table");
		else
			risk_find(c, RULE_DROP_CONSTRAINT, a->rel, a->location,
			          "dropping constraint %s of %s weakens its guarantees", cmd->name,
			          a->rel);
	}
	if (k)
		k->dropped = true;
}

static void at_rewrite(struct at *a, enum rule_id rule, const char *what)
{
	struct risk_ctx *c = a->c;
	risk_say(c, "%s %s, rewriting it", what, a->rel);
	if (!a->is_new) {
		risk_effect(c, RISK_FX_REWRITE);
		risk_find(c, rule, a->rel, a->location,
		          "%s %s rewrites it under an ACCESS EXCLUSIVE lock", what, a->rel);
		risk_slow(c, a->rel);
	}
}

static void at_set_logged(struct at *a, const PgQuery__AlterTableCmd *cmd)
{
	at_rewrite(a, RULE_SET_LOGGED_UNLOGGED,
	           cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged ? "SET LOGGED on"
	                                                                    : "SET UNLOGGED on");
}

static void at_set_access_method(struct at *a, const PgQuery__AlterTableCmd *cmd)
{
	at_rewrite(a, RULE_SET_ACCESS_METHOD, "SET ACCESS METHOD on");
}

static void at_set_tablespace(struct at *a, const PgQuery__AlterTableCmd *cmd)
{
	at_rewrite(a, RULE_SET_TABLESPACE, "SET TABLESPACE copies every block of");
}

static void at_enable_rls(struct at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	risk_say(c, "turns on row level security for %s", a->rel);
	XGROW(c->pending, c->cap_pending, c->n_pending + 1);
	struct rk_pending *p = &c->pending[c->n_pending++];
	p->name = xstrdup(a->rel);
	p->stmt = c->si;
	p->rule = RULE_RLS_ENABLED_WITHOUT_POLICY;
	p->done = false;
}

static void at_attach_partition(struct at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_PARTITION_CMD)
		return;
	char *part = risk_rv_name(c, cmd->def->partition_cmd->name);
	risk_lock(c, a->rel, RISK_LOCK_SHARE_UPDATE_EXCLUSIVE);
	risk_lock(c, part, RISK_LOCK_ACCESS_EXCLUSIVE);
	struct rk_rel *pr = risk_rel(c, part, true);
	free(pr->table);
	pr->table = xstrdup(a->rel);
	risk_say(c, "attaches %s as a partition of %s", part, a->rel);
	bool proven = false;
	for (size_t i = 0; i < c->n_cons && !proven; i++)
		proven = c->cons[i].contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK &&
		         c->cons[i].validated && !c->cons[i].dropped &&
		         strcmp(c->cons[i].rel, part) == 0;
	if (!proven && !risk_rel_is_new(c, part)) {
		risk_effect(c, RISK_FX_SCAN | RISK_FX_CAN_FAIL);
		risk_find(c, RULE_ATTACH_PARTITION_SCAN, part, a->location,
		          "attaching %s scans it under an ACCESS EXCLUSIVE lock to prove its rows "
		          "fit the "
		          "bound (no validated CHECK proves it)",
		          part);
		risk_slow(c, part);
	}
	free(part);
}

static void at_detach_partition(struct at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_PARTITION_CMD)
		return;
	const PgQuery__PartitionCmd *pc = cmd->def->partition_cmd;
	char *part = risk_rv_name(c, pc->name);
	enum risk_lock m =
	    pc->concurrent || cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize
	        ? RISK_LOCK_SHARE_UPDATE_EXCLUSIVE
	        : RISK_LOCK_ACCESS_EXCLUSIVE;
	risk_lock(c, a->rel, m);
	risk_lock(c, part, m);
	risk_say(c, "detaches partition %s from %s%s", part, a->rel,
	         pc->concurrent ? " concurrently" : "");
	if (m == RISK_LOCK_ACCESS_EXCLUSIVE && !a->is_new)
		risk_find(
		    c, RULE_DETACH_PARTITION_BLOCKING, a->rel, a->location,
		    "detaching %s locks %s ACCESS EXCLUSIVE: every query on the partitioned table "
		    "waits",
		    part, a->rel);
	free(part);
}

/* Lock levels from PostgreSQL 15's AlterTableGetLockLevel, checked against a
 * 15 server for the common forms. */
#define AT(t) [PG_QUERY__ALTER_TABLE_TYPE__AT_##t]
#define AEL   RISK_LOCK_ACCESS_EXCLUSIVE
#define SUE   RISK_LOCK_SHARE_UPDATE_EXCLUSIVE
#define SRE   RISK_LOCK_SHARE_ROW_EXCLUSIVE
static const struct at_entry at_table[PG_QUERY__ALTER_TABLE_TYPE__AT_ReAddStatistics + 1] = {
    AT(AddColumn) = {AEL, at_add_column, NULL},
    AT(AddColumnRecurse) = {AEL, at_add_column, NULL},
    AT(AddColumnToView) = {AEL, at_add_column, NULL},
    AT(ColumnDefault) = {AEL, at_column_default, NULL},
    AT(DropNotNull) = {AEL, at_drop_not_null, NULL},
    AT(SetNotNull) = {AEL, at_set_not_null, NULL},
    AT(DropExpression) = {AEL, NULL, "turns a generated column into a plain one"},
    AT(SetStatistics) = {SUE, NULL, "changes the statistics target of a column"},
    AT(SetOptions) = {SUE, NULL, "sets column options"},
    AT(ResetOptions) = {SUE, NULL, "resets column options"},
    AT(SetStorage) = {AEL, NULL, "changes a column's storage mode (no rewrite)"},
    AT(SetCompression) = {AEL, NULL, "changes a column's compression (new values only)"},
    AT(DropColumn) = {AEL, at_drop_column, NULL},
    AT(DropColumnRecurse) = {AEL, at_drop_column, NULL},
    AT(AddConstraint) = {RISK_LOCK_NONE, at_add_constraint, NULL},
    AT(AddConstraintRecurse) = {RISK_LOCK_NONE, at_add_constraint, NULL},
    AT(AlterConstraint) = {AEL, NULL, "changes a constraint's deferrability"},
    AT(ValidateConstraint) = {SUE, at_validate, NULL},
    AT(ValidateConstraintRecurse) = {SUE, at_validate, NULL},
    AT(AddIndexConstraint) = {AEL, at_add_constraint, NULL},
    AT(DropConstraint) = {AEL, at_drop_constraint, NULL},
    AT(DropConstraintRecurse) = {AEL, at_drop_constraint, NULL},
    AT(AlterColumnType) = {AEL, at_alter_type, NULL},
    AT(AlterColumnGenericOptions) = {AEL, NULL, "changes a foreign column's options"},
    AT(ChangeOwner) = {AEL, NULL, "changes the owner"},
    AT(ClusterOn) = {SUE, NULL, "marks the index to CLUSTER on"},
    AT(DropCluster) = {SUE, NULL, "unmarks the CLUSTER index"},
    AT(SetLogged) = {AEL, at_set_logged, NULL},
    AT(SetUnLogged) = {AEL, at_set_logged, NULL},
    AT(DropOids) = {AEL, NULL, "drops OIDs"},
    AT(SetAccessMethod) = {AEL, at_set_access_method, NULL},
    AT(SetTableSpace) = {AEL, at_set_tablespace, NULL},
    AT(SetRelOptions) = {SUE, NULL, "changes storage parameters"},
    AT(ResetRelOptions) = {SUE, NULL, "resets storage parameters"},
    AT(ReplaceRelOptions) = {SUE, NULL, "replaces storage parameters"},
    AT(EnableTrig) = {SRE, NULL, "enables a trigger"},
    AT(EnableAlwaysTrig) = {SRE, NULL, "enables a trigger"},
    AT(EnableReplicaTrig) = {SRE, NULL, "enables a trigger"},
    AT(DisableTrig) = {SRE, NULL, "disables a trigger"},
    AT(EnableTrigAll) = {SRE, NULL, "enables all triggers"},
    AT(DisableTrigAll) = {SRE, NULL, "disables all triggers, foreign key checks included"},
    AT(EnableTrigUser) = {SRE, NULL, "enables user triggers"},
    AT(DisableTrigUser) = {SRE, NULL, "disables user triggers"},
    AT(EnableRule) = {AEL, NULL, "enables a rule"},
    AT(EnableAlwaysRule) = {AEL, NULL, "enables a rule"},
    AT(EnableReplicaRule) = {AEL, NULL, "enables a rule"},
    AT(DisableRule) = {AEL, NULL, "disables a rule"},
    AT(AddInherit) = {AEL, NULL, "adds an inheritance parent"},
    AT(DropInherit) = {AEL, NULL, "removes an inheritance parent"},
    AT(AddOf) = {AEL, NULL, "ties the table to a composite type"},
    AT(DropOf) = {AEL, NULL, "unties the table from its composite type"},
    AT(ReplicaIdentity) = {AEL, NULL, "changes the replica identity"},
    AT(EnableRowSecurity) = {AEL, at_enable_rls, NULL},
    AT(DisableRowSecurity) = {AEL, NULL, "turns off row level security"},
    AT(ForceRowSecurity) = {AEL, at_enable_rls, NULL},
    AT(NoForceRowSecurity) = {AEL, NULL, "stops forcing row level security on the owner"},
    AT(GenericOptions) = {AEL, NULL, "changes foreign table options"},
    AT(AttachPartition) = {RISK_LOCK_NONE, at_attach_partition, NULL},
    AT(DetachPartition) = {RISK_LOCK_NONE, at_detach_partition, NULL},
    AT(DetachPartitionFinalize) = {RISK_LOCK_NONE, at_detach_partition, NULL},
    AT(AddIdentity) = {AEL, NULL, "makes a column an identity column (existing values kept)"},
    AT(SetIdentity) = {AEL, NULL, "changes an identity column's sequence options"},
    AT(DropIdentity) = {AEL, NULL, "drops the identity property of a column"},
};
#undef AT
#undef AEL
#undef SUE
#undef SRE

static const char *alter_kind(PgQuery__ObjectType t)
{
	switch (t) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: return "alter index";
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW: return "alter view";
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW: return "alter materialized view";
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE: return "alter sequence";
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE: return "alter foreign table";
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE: return "alter type";
	default: return "alter table";
	}
}

void risk_h_alter_table(struct risk_ctx *c, const Node *n)
{
	const PgQuery__AlterTableStmt *s = n->alter_table_stmt;
	struct at a = {.c = c, .stmt = s, .rel = risk_rv_name(c, s->relation)};
	a.is_new = risk_rel_is_new(c, a.rel);
	a.location = s->relation ? s->relation->location : -1;
	risk_kind(c, alter_kind(s->objtype));

	for (size_t i = 0; i < s->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = s->cmds[i]->alter_table_cmd;
		if (!cmd)
			continue;
		const struct at_entry *e =
		    (size_t)cmd->subtype < sizeof at_table / sizeof at_table[0]
		        ? &at_table[cmd->subtype]
		        : NULL;
		enum risk_lock m = e && (e->fn || e->say) ? e->lock : RISK_LOCK_ACCESS_EXCLUSIVE;
		if (m != RISK_LOCK_NONE)
			risk_lock(c, a.rel, m);
		if (e && e->fn)
			e->fn(&a, cmd);
		else if (e && e->say)
			risk_say(c, "%s of %s", e->say, a.rel);
		else
			risk_say(c, "alters %s", a.rel);
	}

	/* Most subcommands recurse to the partitions the section knows. */
	enum risk_lock top = RISK_LOCK_NONE;
	for (size_t i = 0; i < c->st->n_locks; i++)
		if (strcmp(c->st->locks[i].relation, a.rel) == 0)
			top = c->st->locks[i].mode;
	if (s->relation && s->relation->inh && top >= RISK_LOCK_ACCESS_EXCLUSIVE)
		for (size_t i = 0; i < c->n_rels; i++)
			if (c->rels[i].table && c->rels[i].kind != 'i' && !c->rels[i].dropped &&
			    strcmp(c->rels[i].table, a.rel) == 0)
				risk_lock(c, c->rels[i].name, top);

	/* multiple-alter-same-table: each ALTER can scan or rewrite again. */
	if (c->in_txn && !a.is_new && c->body_depth == 0 &&
	    s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		struct rk_alter *al = NULL;
		for (size_t i = 0; i < c->n_alters; i++)
			if (strcmp(c->alters[i].rel, a.rel) == 0 && c->alters[i].txn == c->txn)
				al = &c->alters[i];
		if (!al) {
			XGROW(c->alters, c->cap_alters, c->n_alters + 1);
			al = &c->alters[c->n_alters++];
			al->rel = xstrdup(a.rel);
			al->txn = c->txn;
			al->n = 0;
		}
		if (++al->n == 2)
			risk_find(c, RULE_MULTIPLE_ALTER_SAME_TABLE, a.rel, a.location,
			          "another ALTER TABLE on %s in the same transaction: one ALTER "
			          "TABLE with "
			          "several subcommands takes the lock and rewrites at most once",
			          a.rel);
	}
	free(a.rel);
}

/* CREATE TABLE's columns and constraints: recorded like ADD COLUMN / ADD
 * CONSTRAINT on a new table, so the same state and rules apply. */
void risk_new_table_column(struct risk_ctx *c, const char *rel, const PgQuery__ColumnDef *cd)
{
	struct at a = {
	    .c = c, .rel = (char *)rel, .is_new = true, .quiet = true, .location = cd->location};
	PgQuery__AlterTableCmd cmd = PG_QUERY__ALTER_TABLE_CMD__INIT;
	Node def = PG_QUERY__NODE__INIT;
	def.node_case = PG_QUERY__NODE__NODE_COLUMN_DEF;
	def.column_def = (PgQuery__ColumnDef *)cd;
	cmd.def = &def;
	at_add_column(&a, &cmd);
}

void risk_new_table_constraint(struct risk_ctx *c, const char *rel, const PgQuery__Constraint *k)
{
	struct at a = {
	    .c = c, .rel = (char *)rel, .is_new = true, .quiet = true, .location = k->location};
	add_constraint(&a, k, NULL, false);
}
