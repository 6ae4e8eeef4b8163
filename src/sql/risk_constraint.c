/* risk_constraint: constraints added to a table, by ALTER TABLE ... ADD
 * CONSTRAINT, inline in ADD COLUMN or in CREATE TABLE. Each is recorded under
 * the name PostgreSQL gives it (so later VALIDATE and DROP find it) and judged:
 * validation scans, index builds, foreign keys that lock two tables. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "pgstep/xalloc.h"
#include "risk_int.h"

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

/* Record and judge one constraint added to a.rel, from ADD CONSTRAINT or
 * inline in ADD COLUMN (col != NULL; col_has_value: the new column has a
 * non-NULL default, so a foreign key must be checked). */
void risk_at_constraint(struct risk_at *a, const PgQuery__Constraint *k, const char *col,
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
	con->stmt = c->si; /* claims: findings point at the constraint */
	con->location = c->body_depth == 0 ? k->location : -1;
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
			RISK_SAY_AT(a, "adds CHECK %s NOT VALID (new rows only, no scan)", name);
		} else {
			RISK_SAY_AT(a, "adds CHECK %s, checking every existing row", name);
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
			RISK_SAY_AT(a,
			            "adds foreign key %s to %s NOT VALID (new rows only, no scan)",
			            name, ref);
		else
			RISK_SAY_AT(a, "adds foreign key %s (%s) referencing %s", name, cols0, ref);
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
			RISK_SAY_AT(a, "adds %s %s using the existing index %s", what, name,
			            k->indexname);
			/* The index (in the table's schema) becomes the constraint's:
			 * ACCESS SHARE, or SHARE UPDATE EXCLUSIVE when it is renamed
			 * to the constraint's name, as ALTER INDEX RENAME (measured). */
			const char *dot = strrchr(a->rel, '.');
			char *owned = xasprintf("%.*s.%s", (int)(dot ? dot - a->rel : 0), a->rel,
			                        k->indexname);
			bool renamed = *k->conname && strcmp(k->conname, k->indexname) != 0;
			risk_lock(c, owned,
			          renamed ? RISK_LOCK_SHARE_UPDATE_EXCLUSIVE
			                  : RISK_LOCK_ACCESS_SHARE);
			free(owned);
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
		RISK_SAY_AT(a, "adds %s %s (%s), building its index", what, name, cols0);
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
		RISK_SAY_AT(a, "adds exclusion constraint %s, building its index", name);
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
